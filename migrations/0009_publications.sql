CREATE TABLE `publications` (
	`registry` text NOT NULL,
	`repository` text NOT NULL,
	`digest` text NOT NULL,
	`statements` text NOT NULL,
	`generation` integer DEFAULT 1 NOT NULL,
	`due_at` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`lease_owner` text,
	`lease_expires_at` integer,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`registry`, `repository`, `digest`)
);
--> statement-breakpoint
CREATE INDEX `publications_due` ON `publications` (`due_at`);