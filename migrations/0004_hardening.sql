CREATE TABLE `live_guests` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`device_hash` text,
	`nickname` text,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `live_sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `live_guests_session_device_unique` ON `live_guests` (`session_id`,`device_hash`);--> statement-breakpoint
CREATE TABLE `live_photo_views` (
	`photo_id` text NOT NULL,
	`guest_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`photo_id`, `guest_id`),
	FOREIGN KEY (`photo_id`) REFERENCES `live_photos`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `login_networks` (
	`subject` text NOT NULL,
	`network_hash` text NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`blocked_until` integer,
	`last_failure_at` integer,
	`last_success_at` integer,
	PRIMARY KEY(`subject`, `network_hash`)
);
--> statement-breakpoint
ALTER TABLE `live_sessions` ADD `deleted_at` integer;--> statement-breakpoint
CREATE INDEX `webhook_events_received_idx` ON `webhook_events` (`received_at`);--> statement-breakpoint
-- Hand-written (drizzle-kit does not generate triggers): a like or view counts exactly when its row is inserted.
CREATE TRIGGER `live_photo_likes_count` AFTER INSERT ON `live_photo_likes` BEGIN UPDATE `live_photos` SET `like_count` = `like_count` + 1 WHERE `id` = NEW.`photo_id`; END;
--> statement-breakpoint
CREATE TRIGGER `live_photo_likes_uncount` AFTER DELETE ON `live_photo_likes` BEGIN UPDATE `live_photos` SET `like_count` = MAX(0, `like_count` - 1) WHERE `id` = OLD.`photo_id`; END;
--> statement-breakpoint
CREATE TRIGGER `live_photo_views_count` AFTER INSERT ON `live_photo_views` BEGIN UPDATE `live_photos` SET `view_count` = `view_count` + 1 WHERE `id` = NEW.`photo_id`; END;
