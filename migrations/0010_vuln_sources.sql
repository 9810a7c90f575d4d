CREATE TABLE `vuln_severity` (
	`import_id` integer NOT NULL,
	`id` text NOT NULL,
	`kind` text NOT NULL,
	`severity` text NOT NULL,
	`modified` text,
	PRIMARY KEY(`import_id`, `id`, `kind`)
);
--> statement-breakpoint
CREATE TABLE `vuln_source` (
	`name` text PRIMARY KEY NOT NULL,
	`import_id` integer NOT NULL,
	`advisories` integer DEFAULT 0 NOT NULL,
	`severities` integer DEFAULT 0 NOT NULL,
	`severity_kinds` text DEFAULT '{}' NOT NULL,
	`ecosystems` text DEFAULT '{}' NOT NULL,
	`max_modified` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `vuln_import` ADD `source` text;--> statement-breakpoint
ALTER TABLE `vuln_import` ADD `severities` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `scans` ADD `unknown` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- An existing database keeps what it had: its current import becomes the source "legacy" (its rows
-- were never tagged by path, so it cannot be split). `customs db update` drops it once every configured
-- feed is loaded as its own source; `customs db remove legacy` drops it by hand.
INSERT INTO `vuln_source` (`name`, `import_id`, `advisories`, `severities`, `severity_kinds`, `ecosystems`, `max_modified`, `updated_at`)
  SELECT 'legacy', i.`id`, i.`advisories`, 0, '{}', i.`ecosystems`, i.`max_modified`, COALESCE(i.`finished_at`, c.`switched_at`)
  FROM `vuln_current` c JOIN `vuln_import` i ON i.`id` = c.`import_id` WHERE c.`id` = 1;--> statement-breakpoint
UPDATE `vuln_import` SET `source` = 'legacy' WHERE `id` IN (SELECT `import_id` FROM `vuln_source`);
