-- Hand-written (drizzle-kit does not generate virtual tables or triggers).
--
-- Full-text search over works: an FTS5 table whose rowid is `works.seq`, with the trigram
-- tokenizer, so Chinese, Japanese and Korean text (no spaces between words) is searchable as well
-- as Latin text. MATCH needs terms of at least three characters; shorter terms are matched with
-- LIKE on the same table (see features/works/search.ts). Triggers keep it in step with `works`;
-- only changes of the searched columns touch it (a view or a like does not).
CREATE VIRTUAL TABLE `works_fts` USING fts5(`title`, `description`, `prompt`, `tags`, tokenize = 'trigram');
--> statement-breakpoint
CREATE TRIGGER `works_fts_insert` AFTER INSERT ON `works` BEGIN
  INSERT INTO `works_fts` (`rowid`, `title`, `description`, `prompt`, `tags`)
  VALUES (new.`seq`, new.`title`, new.`description`, new.`prompt`, new.`tags`);
END;
--> statement-breakpoint
CREATE TRIGGER `works_fts_delete` AFTER DELETE ON `works` BEGIN
  DELETE FROM `works_fts` WHERE `rowid` = old.`seq`;
END;
--> statement-breakpoint
CREATE TRIGGER `works_fts_update` AFTER UPDATE OF `title`, `description`, `prompt`, `tags` ON `works` BEGIN
  DELETE FROM `works_fts` WHERE `rowid` = old.`seq`;
  INSERT INTO `works_fts` (`rowid`, `title`, `description`, `prompt`, `tags`)
  VALUES (new.`seq`, new.`title`, new.`description`, new.`prompt`, new.`tags`);
END;
--> statement-breakpoint
-- Counters: changed by the same statement that adds or removes the row they count, so they can
-- never drift from `COUNT(*)` of those rows, whatever races or retries happen.
CREATE TRIGGER `work_likes_count_insert` AFTER INSERT ON `work_likes` BEGIN
  UPDATE `works` SET `likes_count` = `likes_count` + 1 WHERE `id` = new.`work_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `work_likes_count_delete` AFTER DELETE ON `work_likes` BEGIN
  UPDATE `works` SET `likes_count` = `likes_count` - 1 WHERE `id` = old.`work_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `work_comments_count_insert` AFTER INSERT ON `work_comments` BEGIN
  UPDATE `works` SET `comments_count` = `comments_count` + 1 WHERE `id` = new.`work_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `work_comments_count_delete` AFTER DELETE ON `work_comments` BEGIN
  UPDATE `works` SET `comments_count` = `comments_count` - 1 WHERE `id` = old.`work_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `work_views_count_insert` AFTER INSERT ON `work_views` BEGIN
  UPDATE `works` SET `views_count` = `views_count` + 1 WHERE `id` = new.`work_id`;
END;
