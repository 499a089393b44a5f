// Where an operation keeps its objects in the backup bucket (`operations/<id>/…`): plans, work items, results,
// reports and restore bundles. Every key of every kind of operation, one function each.
import { BUCKET } from '#core/storage/bucket-layout.ts';

const pad = (n: number) => String(n).padStart(6, '0');
const root = (id: string) => `${BUCKET.operations}${id}/`;

export const OPERATIONS_PREFIX = BUCKET.operations;

export const operationObjectKeys = {
  prefix: root,
  /** The report of a restore or a selftest. */
  report: (id: string) => `${root(id)}report.json`,
  restore: {
    summary: (id: string) => `${root(id)}plan/summary.json`,
    accountPlan: (id: string, account: number) => `${root(id)}plan/account-${account}.json`,
    work: (id: string, index: number) => `${root(id)}work/${pad(index)}.json`,
    result: (id: string, index: number) => `${root(id)}results/${pad(index)}.json`,
    bundle: (id: string, path = '') => `${root(id)}bundle/${path}`,
  },
  selftest: (id: string, index: number) => `${root(id)}selftest/${pad(index)}.json`,
  transfer: {
    plan: (id: string) => `${root(id)}transfer/plan.json`,
    mailbox: (id: string, index: number) => `${root(id)}transfer/mailboxes/${pad(index)}.json`,
    directory: (id: string, serverId: string) => `${root(id)}transfer/directory/${serverId}.ldif`,
    work: (id: string, index: number) => `${root(id)}transfer/work/${pad(index)}.json`,
    result: (id: string, index: number) => `${root(id)}transfer/results/${pad(index)}.json`,
    report: (id: string) => `${root(id)}transfer/report.json`,
  },
  purge: {
    plan: (id: string) => `${root(id)}purge/plan.json`,
    candidates: (id: string) => `${root(id)}purge/candidates/`,
    report: (id: string) => `${root(id)}purge/report.json`,
  },
  coherency: {
    plan: (id: string) => `${root(id)}coherency/plan.json`,
    findings: (id: string) => `${root(id)}coherency/findings/`,
    report: (id: string) => `${root(id)}coherency/report.json`,
  },
  drill: {
    /** The accounts and instants a drill picked. */
    plan: (id: string) => `${root(id)}drill/plan.json`,
    /** What a work item read back from the bundle and checked. */
    verified: (id: string, index: number) => `${root(id)}drill/verified/${pad(index)}.json`,
  },
  legalHoldChunk: (id: string, index: number) => `${root(id)}legal-hold/${pad(index)}.json`,
} as const;
