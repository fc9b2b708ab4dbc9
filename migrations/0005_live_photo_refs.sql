-- Live photos hold their own image reference (besides the owner's record): existing photos
-- take theirs, and input images of tasks that already ended give back the one they never released.
UPDATE images SET ref_count = ref_count + (SELECT count(*) FROM live_photos p WHERE p.image_id = images.id);--> statement-breakpoint
UPDATE images SET ref_count = ref_count - (
  SELECT count(*) FROM tasks t, json_each(t.input_image_ids) j
   WHERE j.value = images.id AND t.status IN ('succeeded', 'failed', 'canceled')
);
