import { decodeMetadata, type MetadataValue } from '#core/scan/zimbra-metadata.ts';

/**
 * Custom metadata sections of an item (SetCustomData; a zimlet's or a client's, `CustomMetadata`): section name
 * → its metadata serialized as the server wrote it. Kept only when there is at least one section.
 */
export type CustomSections = Record<string, string>;

/** The item metadata key prefix of custom sections (MailItem: `Metadata.FN_EXTRA_DATA + "."`). */
const PREFIX = 'xd.';

/** The custom sections held in an item's decoded metadata (`xd.<section>` → serialized metadata). */
export function customOfMetadata(meta: Record<string, MetadataValue>): CustomSections | undefined {
  const out: CustomSections = {};
  for (const [key, value] of Object.entries(meta))
    if (key.startsWith(PREFIX) && typeof value === 'string') out[key.slice(PREFIX.length)] = value;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The same from an item's metadata column; undefined when it holds none or does not decode. */
export function customOfMetadataText(text: string | null): CustomSections | undefined {
  if (!text) return undefined;
  try {
    const meta = decodeMetadata(text);
    return typeof meta === 'object' && !Array.isArray(meta) ? customOfMetadata(meta) : undefined;
  } catch {
    return undefined;
  }
}

/** The metadata keys of custom sections, for writing an item's metadata column. */
export function metadataOfCustom(custom: CustomSections | undefined): Record<string, string> {
  return Object.fromEntries(
    Object.entries(custom ?? {}).map(([section, value]) => [`${PREFIX}${section}`, value]),
  );
}

/**
 * One section set (CustomMetadata.addSection): a section whose metadata has no keys is removed; no sections
 * left is none at all.
 */
export function withCustomSection(
  custom: CustomSections | undefined,
  section: string,
  value: string | null,
): CustomSections | undefined {
  const { [section]: _old, ...rest } = custom ?? {};
  const next = isEmptySection(value) ? rest : { ...rest, [section]: value as string };
  return Object.keys(next).length > 0 ? next : undefined;
}

function isEmptySection(value: string | null): boolean {
  if (!value) return true;
  try {
    const decoded = decodeMetadata(value);
    return typeof decoded === 'object' && !Array.isArray(decoded) && Object.keys(decoded).length === 0;
  } catch {
    return false; // kept as written: not ours to judge
  }
}
