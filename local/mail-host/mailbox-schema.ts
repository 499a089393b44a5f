// The tables of a Zimbra mailbox server's database that a scan reads, with Zimbra's column names and types
// (zm-mailbox `db.sql` and `create_database.sql`), trimmed of the tables no backup reads.

export const ZIMBRA_DATABASE_DDL = [
  'CREATE DATABASE IF NOT EXISTS zimbra DEFAULT CHARACTER SET utf8',
  `CREATE TABLE IF NOT EXISTS zimbra.mailbox (
     id                 INTEGER UNSIGNED NOT NULL PRIMARY KEY,
     group_id           INTEGER UNSIGNED NOT NULL,
     account_id         VARCHAR(127) NOT NULL,
     index_volume_id    TINYINT NOT NULL DEFAULT 2,
     item_id_checkpoint INTEGER UNSIGNED NOT NULL DEFAULT 0,
     contact_count      INTEGER UNSIGNED DEFAULT 0,
     size_checkpoint    BIGINT UNSIGNED NOT NULL DEFAULT 0,
     change_checkpoint  INTEGER UNSIGNED NOT NULL DEFAULT 0,
     tracking_sync      INTEGER UNSIGNED NOT NULL DEFAULT 0,
     tracking_imap      BOOLEAN NOT NULL DEFAULT 0,
     last_backup_at     INTEGER UNSIGNED,
     comment            VARCHAR(255),
     last_soap_access   INTEGER UNSIGNED NOT NULL DEFAULT 0,
     new_messages       INTEGER UNSIGNED NOT NULL DEFAULT 0,
     version            VARCHAR(16),
     UNIQUE INDEX i_account_id (account_id),
     INDEX i_last_backup_at (last_backup_at, id)
   ) ENGINE = InnoDB`,
  `CREATE TABLE IF NOT EXISTS zimbra.mailbox_metadata (
     mailbox_id  INTEGER UNSIGNED NOT NULL,
     section     VARCHAR(64) NOT NULL,
     metadata    MEDIUMTEXT,
     PRIMARY KEY (mailbox_id, section)
   ) ENGINE = InnoDB`,
];

export function mailboxGroupDdl(database: string): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS ${database} DEFAULT CHARACTER SET utf8`,
    `CREATE TABLE IF NOT EXISTS ${database}.mail_item (
       mailbox_id    INTEGER UNSIGNED NOT NULL,
       id            INTEGER UNSIGNED NOT NULL,
       type          TINYINT NOT NULL,
       parent_id     INTEGER UNSIGNED,
       folder_id     INTEGER UNSIGNED,
       prev_folders  TEXT,
       index_id      INTEGER UNSIGNED,
       imap_id       INTEGER UNSIGNED,
       date          INTEGER UNSIGNED NOT NULL,
       size          BIGINT UNSIGNED NOT NULL,
       locator       VARCHAR(1024),
       blob_digest   VARCHAR(44) BINARY,
       unread        INTEGER UNSIGNED,
       flags         INTEGER NOT NULL DEFAULT 0,
       tags          BIGINT NOT NULL DEFAULT 0,
       tag_names     TEXT,
       event_flag    TINYINT UNSIGNED NOT NULL DEFAULT 0,
       sender        VARCHAR(128),
       recipients    VARCHAR(128),
       subject       TEXT,
       name          VARCHAR(255),
       metadata      MEDIUMTEXT,
       mod_metadata  INTEGER UNSIGNED NOT NULL,
       change_date   INTEGER UNSIGNED,
       mod_content   INTEGER UNSIGNED NOT NULL,
       uuid          VARCHAR(127),
       PRIMARY KEY (mailbox_id, id),
       INDEX i_type (mailbox_id, type),
       INDEX i_parent_id (mailbox_id, parent_id),
       INDEX i_folder_id_date (mailbox_id, folder_id, date),
       INDEX i_mod_metadata (mailbox_id, mod_metadata),
       UNIQUE INDEX i_name_folder_id (mailbox_id, folder_id, name),
       CONSTRAINT fk_mail_item_mailbox_id FOREIGN KEY (mailbox_id) REFERENCES zimbra.mailbox(id)
     ) ENGINE = InnoDB`,
    // Old revisions of documents (the current one is the mail_item row).
    `CREATE TABLE IF NOT EXISTS ${database}.revision (
       mailbox_id    INTEGER UNSIGNED NOT NULL,
       item_id       INTEGER UNSIGNED NOT NULL,
       version       INTEGER UNSIGNED NOT NULL,
       date          INTEGER UNSIGNED NOT NULL,
       size          BIGINT UNSIGNED NOT NULL,
       locator       VARCHAR(1024),
       blob_digest   VARCHAR(44) BINARY,
       name          VARCHAR(255),
       metadata      MEDIUMTEXT,
       mod_metadata  INTEGER UNSIGNED NOT NULL,
       change_date   INTEGER UNSIGNED,
       mod_content   INTEGER UNSIGNED NOT NULL,
       PRIMARY KEY (mailbox_id, item_id, version),
       CONSTRAINT fk_revision_item_id FOREIGN KEY (mailbox_id, item_id) REFERENCES ${database}.mail_item(mailbox_id, id) ON DELETE CASCADE
     ) ENGINE = InnoDB`,
    `CREATE TABLE IF NOT EXISTS ${database}.tag (
       mailbox_id    INTEGER UNSIGNED NOT NULL,
       id            INTEGER NOT NULL,
       name          VARCHAR(128) NOT NULL,
       color         BIGINT,
       item_count    INTEGER NOT NULL DEFAULT 0,
       unread        INTEGER NOT NULL DEFAULT 0,
       listed        BOOLEAN NOT NULL DEFAULT FALSE,
       sequence      INTEGER UNSIGNED NOT NULL,
       policy        VARCHAR(1024),
       PRIMARY KEY (mailbox_id, id),
       UNIQUE INDEX i_tag_name (mailbox_id, name),
       CONSTRAINT fk_tag_mailbox_id FOREIGN KEY (mailbox_id) REFERENCES zimbra.mailbox(id)
     ) ENGINE = InnoDB`,
    `CREATE TABLE IF NOT EXISTS ${database}.tagged_item (
       mailbox_id    INTEGER UNSIGNED NOT NULL,
       tag_id        INTEGER NOT NULL,
       item_id       INTEGER UNSIGNED NOT NULL,
       UNIQUE INDEX i_tagged_item_unique (mailbox_id, tag_id, item_id),
       CONSTRAINT fk_tagged_item_tag FOREIGN KEY (mailbox_id, tag_id) REFERENCES ${database}.tag(mailbox_id, id) ON DELETE CASCADE,
       CONSTRAINT fk_tagged_item_item FOREIGN KEY (mailbox_id, item_id) REFERENCES ${database}.mail_item(mailbox_id, id) ON DELETE CASCADE
     ) ENGINE = InnoDB`,
  ];
}
