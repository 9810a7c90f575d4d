CREATE TABLE `vuln_epss` (
	`cve` text PRIMARY KEY NOT NULL,
	`score` real NOT NULL,
	`percentile` real NOT NULL,
	`date` text
);
--> statement-breakpoint
CREATE TABLE `vuln_feed` (
	`source` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`etag` text,
	`last_modified` text,
	`file` text,
	`bytes` integer,
	`checked_at` integer,
	`changed_at` integer,
	`last_error` text
);
--> statement-breakpoint
CREATE TABLE `vuln_kev` (
	`cve` text PRIMARY KEY NOT NULL,
	`date_added` text NOT NULL,
	`due_date` text,
	`ransomware` text,
	`vendor_project` text,
	`product` text,
	`name` text,
	`required_action` text
);
