CREATE INDEX `tags_updated` ON `tags` (`updated_at`);--> statement-breakpoint
CREATE INDEX `tags_deleted` ON `tags` (`deleted_at`);--> statement-breakpoint
CREATE INDEX `image_verdicts_evaluated` ON `image_verdicts` (`evaluated_at`);--> statement-breakpoint
CREATE INDEX `image_verdicts_released` ON `image_verdicts` (`released_at`);