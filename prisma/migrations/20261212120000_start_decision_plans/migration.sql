-- A start's decision (lib/workspaces/start-batch.ts) in statements whose plans
-- the connection keeps.
--
-- By default PL/pgSQL plans a statement with parameters afresh on its first
-- five calls, and then on every call where the generic plan's estimate looks
-- worse than the custom plans': so it did for the quota state's read, which
-- joins the inlined Team_usage and Team_core_hours. Planning it cost a start
-- about a millisecond of server time on every call, three times what running
-- it does. The functions' statements look rows up by key (team, workspace and
-- member ids), where the generic plan is the custom one; a change of the
-- tables' statistics still replans them.
--
-- In a generic plan `= ANY(array)` can't hash the array, which isn't known
-- when it is planned, so a batch of a thousand starts compared each workspace
-- with every id; Workspace_lock_starts now looks its workspaces up by key, one
-- by one (otherwise unchanged).
ALTER FUNCTION "Team_lock_quota_state"(TEXT[], TEXT[], TEXT[], TEXT[], TIMESTAMP, TIMESTAMP) SET plan_cache_mode = force_generic_plan;

CREATE OR REPLACE FUNCTION "Workspace_lock_starts"(workspace_ids TEXT[], month_start TIMESTAMP, until TIMESTAMP)
RETURNS JSONB LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
  locked JSONB;
  team_ids TEXT[];
  member_team_ids TEXT[];
  member_owner_ids TEXT[];
BEGIN
  SELECT COALESCE(jsonb_agg(to_jsonb(w) ORDER BY w."id"), '[]')
    INTO locked
    FROM (
      SELECT w."id", w."teamId", t."slug" AS "teamSlug", w."ownerId", w."state"::text AS "state", w."desiredState"::text AS "desiredState", w."parameters"
      FROM unnest(workspace_ids) AS i("id")
      JOIN "Workspace" w ON w."id" = i."id"
      JOIN "Team" t ON t."id" = w."teamId"
      ORDER BY w."id"
      FOR UPDATE OF w
    ) w;

  SELECT array_agg(DISTINCT w->>'teamId' ORDER BY w->>'teamId') INTO team_ids
    FROM jsonb_array_elements(locked) AS w WHERE w->>'desiredState' <> 'RUNNING';
  IF team_ids IS NULL THEN
    RETURN jsonb_build_object('workspaces', locked, 'quota', NULL);
  END IF;
  SELECT array_agg(m."teamId"), array_agg(m."ownerId") INTO member_team_ids, member_owner_ids
    FROM (SELECT DISTINCT w->>'teamId' AS "teamId", w->>'ownerId' AS "ownerId" FROM jsonb_array_elements(locked) AS w WHERE w->>'desiredState' <> 'RUNNING') m;
  RETURN jsonb_build_object('workspaces', locked, 'quota', "Team_lock_quota_state"(team_ids, team_ids, member_team_ids, member_owner_ids, month_start, until));
END
$$;

-- Audit entries, as lib/audit.ts's auditEntriesJson lays them out, written
-- as part of a statement of the caller's (a batch's changes and their entries
-- in one round trip). Times are UTC wall times, as Prisma writes them.
CREATE FUNCTION "AuditLog_record"(entries JSONB)
RETURNS VOID LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  INSERT INTO "AuditLog" ("id", "action", "actorId", "targetType", "targetId", "teamId", "before", "after", "via", "createdAt")
  SELECT * FROM jsonb_to_recordset(entries)
    AS e("id" text, "action" text, "actorId" text, "targetType" text, "targetId" text, "teamId" text, "before" jsonb, "after" jsonb, "via" text, "createdAt" timestamp);
END
$$;

-- A batch's admitted starts: each workspace meant to run (its state, when its
-- start was asked for and its state changed, whether it wakes from dormancy:
-- { id, state, startRequestedAt, stateChangedAt, wakes }, times in UTC or
-- null to keep the column's), and their audit entries. The workspaces are
-- locked already (Workspace_lock_starts).
CREATE FUNCTION "Workspace_record_starts"(changes JSONB, audits JSONB, updated_at TIMESTAMP)
RETURNS VOID LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  UPDATE "Workspace" AS w SET
    "desiredState" = 'RUNNING',
    "state" = u."state"::"WorkspaceState",
    "startRequestedAt" = COALESCE(u."startRequestedAt", w."startRequestedAt"),
    "stateChangedAt" = COALESCE(u."stateChangedAt", w."stateChangedAt"),
    "dormantAt" = CASE WHEN u."wakes" THEN NULL ELSE w."dormantAt" END,
    "deletionScheduledAt" = CASE WHEN u."wakes" THEN NULL ELSE w."deletionScheduledAt" END,
    "updatedAt" = updated_at
  FROM jsonb_to_recordset(changes) AS u("id" text, "state" text, "startRequestedAt" timestamp, "stateChangedAt" timestamp, "wakes" boolean)
  WHERE w."id" = u."id";
  PERFORM "AuditLog_record"(audits);
END
$$;
