ALTER TABLE "workloads" ADD COLUMN "criticality" text;--> statement-breakpoint
CREATE INDEX "image_verdicts_evaluated" ON "image_verdicts" USING btree ("evaluated_at");--> statement-breakpoint
CREATE INDEX "image_verdicts_released" ON "image_verdicts" USING btree ("released_at");--> statement-breakpoint
CREATE INDEX "tags_updated" ON "tags" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "tags_deleted" ON "tags" USING btree ("deleted_at");