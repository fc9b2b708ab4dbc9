CREATE TABLE `login_networks` (
	`subject` text NOT NULL,
	`network_hash` text NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`blocked_until` integer,
	`last_failure_at` integer,
	`last_success_at` integer,
	PRIMARY KEY(`subject`, `network_hash`)
);
