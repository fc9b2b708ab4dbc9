-- Hand-written (drizzle-kit does not generate virtual tables or triggers).
--
-- Search over the editor's chat sessions: FTS5 tables with the trigram tokenizer (as `works_fts`,
-- migration 0007), so Chinese, Japanese and Korean text is searchable as well as Latin text.
-- `chat_sessions_fts` holds titles (rowid = `chat_sessions.seq`); `chat_messages_fts` holds the text
-- of current messages only (rowid = `chat_messages.fts_id`): a version replaced by an edit, a deleted
-- message or an empty text has no row. Short terms are matched with LIKE (features/editor/shared/search.ts).
-- Both tables carry the owner's user id (`owner`), and every query matches it, so a search reads
-- the index entries of that user's rows, not every user's matches.
CREATE VIRTUAL TABLE `chat_sessions_fts` USING fts5(`owner`, `title`, tokenize = 'trigram');
--> statement-breakpoint
CREATE VIRTUAL TABLE `chat_messages_fts` USING fts5(`owner`, `text`, tokenize = 'trigram');
--> statement-breakpoint
CREATE TRIGGER `chat_sessions_fts_insert` AFTER INSERT ON `chat_sessions` WHEN new.`title` IS NOT NULL BEGIN
  INSERT INTO `chat_sessions_fts` (`rowid`, `owner`, `title`) VALUES (new.`seq`, new.`user_id`, new.`title`);
END;
--> statement-breakpoint
CREATE TRIGGER `chat_sessions_fts_update` AFTER UPDATE OF `title` ON `chat_sessions` BEGIN
  DELETE FROM `chat_sessions_fts` WHERE `rowid` = old.`seq`;
  INSERT INTO `chat_sessions_fts` (`rowid`, `owner`, `title`) SELECT new.`seq`, new.`user_id`, new.`title` WHERE new.`title` IS NOT NULL;
END;
--> statement-breakpoint
CREATE TRIGGER `chat_sessions_fts_delete` AFTER DELETE ON `chat_sessions` BEGIN
  DELETE FROM `chat_sessions_fts` WHERE `rowid` = old.`seq`;
END;
--> statement-breakpoint
CREATE TRIGGER `chat_messages_fts_insert` AFTER INSERT ON `chat_messages`
  WHEN new.`superseded_by` IS NULL AND new.`deleted_at` IS NULL AND new.`text` != '' BEGIN
  INSERT INTO `chat_messages_fts` (`rowid`, `owner`, `text`) VALUES (new.`fts_id`, new.`user_id`, new.`text`);
END;
--> statement-breakpoint
CREATE TRIGGER `chat_messages_fts_update` AFTER UPDATE OF `text`, `superseded_by`, `deleted_at` ON `chat_messages` BEGIN
  DELETE FROM `chat_messages_fts` WHERE `rowid` = old.`fts_id`;
  INSERT INTO `chat_messages_fts` (`rowid`, `owner`, `text`)
    SELECT new.`fts_id`, new.`user_id`, new.`text` WHERE new.`superseded_by` IS NULL AND new.`deleted_at` IS NULL AND new.`text` != '';
END;
--> statement-breakpoint
CREATE TRIGGER `chat_messages_fts_delete` AFTER DELETE ON `chat_messages` BEGIN
  DELETE FROM `chat_messages_fts` WHERE `rowid` = old.`fts_id`;
END;
--> statement-breakpoint
-- Counters: `message_count` (current messages: neither replaced by an edit nor deleted),
-- `last_message_at` (the newest current message's `created_at`, NULL when none) and `activity_at`
-- (`COALESCE(last_message_at, created_at)`) change in the same statement as the message rows, so
-- they can never drift whatever races or retries happen.
CREATE TRIGGER `chat_messages_count_insert` AFTER INSERT ON `chat_messages`
  WHEN new.`superseded_by` IS NULL AND new.`deleted_at` IS NULL BEGIN
  UPDATE `chat_sessions`
     SET `message_count` = `message_count` + 1,
         `last_message_at` = MAX(COALESCE(`last_message_at`, 0), new.`created_at`),
         `activity_at` = MAX(`activity_at`, new.`created_at`)
   WHERE `id` = new.`session_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `chat_messages_count_update` AFTER UPDATE OF `superseded_by`, `deleted_at` ON `chat_messages`
  WHEN (old.`superseded_by` IS NULL AND old.`deleted_at` IS NULL) != (new.`superseded_by` IS NULL AND new.`deleted_at` IS NULL) BEGIN
  UPDATE `chat_sessions`
     SET `message_count` = `message_count`
           + (new.`superseded_by` IS NULL AND new.`deleted_at` IS NULL)
           - (old.`superseded_by` IS NULL AND old.`deleted_at` IS NULL),
         `last_message_at` = (SELECT MAX(`created_at`) FROM `chat_messages` m
                               WHERE m.`session_id` = new.`session_id` AND m.`superseded_by` IS NULL AND m.`deleted_at` IS NULL)
   WHERE `id` = new.`session_id`;
  UPDATE `chat_sessions` SET `activity_at` = COALESCE(`last_message_at`, `created_at`) WHERE `id` = new.`session_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `chat_messages_count_delete` AFTER DELETE ON `chat_messages`
  WHEN old.`superseded_by` IS NULL AND old.`deleted_at` IS NULL BEGIN
  UPDATE `chat_sessions`
     SET `message_count` = `message_count` - 1,
         `last_message_at` = (SELECT MAX(`created_at`) FROM `chat_messages` m
                               WHERE m.`session_id` = old.`session_id` AND m.`superseded_by` IS NULL AND m.`deleted_at` IS NULL)
   WHERE `id` = old.`session_id`;
  UPDATE `chat_sessions` SET `activity_at` = COALESCE(`last_message_at`, `created_at`) WHERE `id` = old.`session_id`;
END;
