CREATE TABLE `vuln_advisory` (
	`import_id` integer NOT NULL,
	`id` text NOT NULL,
	`aliases` text NOT NULL,
	`upstream` text DEFAULT '[]' NOT NULL,
	`summary` text,
	`severity` text NOT NULL,
	`modified` text NOT NULL,
	`published` text,
	`affected` text NOT NULL,
	PRIMARY KEY(`import_id`, `id`)
);
--> statement-breakpoint
CREATE TABLE `vuln_affected` (
	`import_id` integer NOT NULL,
	`ecosystem` text NOT NULL,
	`name` text NOT NULL,
	`advisory_id` text NOT NULL,
	PRIMARY KEY(`import_id`, `ecosystem`, `name`, `advisory_id`)
);
--> statement-breakpoint
CREATE TABLE `vuln_current` (
	`id` integer PRIMARY KEY NOT NULL,
	`import_id` integer NOT NULL,
	`switched_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `vuln_import` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`sources` text NOT NULL,
	`status` text NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`advisories` integer DEFAULT 0 NOT NULL,
	`withdrawn` integer DEFAULT 0 NOT NULL,
	`skipped` integer DEFAULT 0 NOT NULL,
	`skip_reasons` text DEFAULT '{}' NOT NULL,
	`ecosystems` text DEFAULT '{}' NOT NULL,
	`max_modified` text,
	`error` text
);
