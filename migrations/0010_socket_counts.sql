CREATE TABLE `socket_counts` (
	`room` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`target_id` text NOT NULL,
	`devices` integer DEFAULT 0 NOT NULL,
	`owners` integer DEFAULT 0 NOT NULL,
	`guests` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `socket_counts_kind_guests_idx` ON `socket_counts` (`kind`,`guests`);