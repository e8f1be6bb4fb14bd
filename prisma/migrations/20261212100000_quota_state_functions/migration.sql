-- A quota decision's reads, as functions in the database (lib/quotas/ledger.ts
-- decides with what they return). A start used to cost a round trip each for
-- its workspaces' lock, its teams' lock, their quota state and, under a
-- per-member limit, the members' lock and counts, each statement parsed and
-- planned anew; a function does them all in one round trip, and PL/pgSQL
-- keeps each statement's plan for the connection.
--
-- Each statement of a (volatile) PL/pgSQL function takes a snapshot of its
-- own, as separate statements do: a read after a lock sees what the lock's
-- previous holder committed.

-- What each team's workspaces that aren't deleted hold (one row per team that
-- has any). CPU and memory count only for workspaces that run or are meant to;
-- resources come from Workspace.parameters, where anything but a positive
-- number counts as zero.
CREATE FUNCTION "Team_usage"(team_ids TEXT[])
RETURNS TABLE ("teamId" TEXT, "workspaces" BIGINT, "runningWorkspaces" BIGINT, "cpuCores" FLOAT8, "memoryGiB" FLOAT8, "storageGiB" FLOAT8)
LANGUAGE sql STABLE AS $$
  WITH w AS (
    SELECT
      "teamId",
      "desiredState" = 'RUNNING' OR "state" IN ('STARTING', 'RUNNING') AS running,
      CASE WHEN jsonb_typeof("parameters"->'cpu') = 'number' THEN GREATEST(("parameters"->>'cpu')::float8, 0) ELSE 0 END AS cpu,
      CASE WHEN jsonb_typeof("parameters"->'memoryGiB') = 'number' THEN GREATEST(("parameters"->>'memoryGiB')::float8, 0) ELSE 0 END AS memory,
      CASE WHEN jsonb_typeof("parameters"->'diskGiB') = 'number' THEN GREATEST(("parameters"->>'diskGiB')::float8, 0) ELSE 0 END AS disk
    FROM "Workspace"
    WHERE "teamId" = ANY(team_ids) AND "state" <> 'DELETED' AND "deletedAt" IS NULL
  )
  SELECT
    "teamId",
    COUNT(*),
    COUNT(*) FILTER (WHERE running),
    COALESCE(SUM(cpu) FILTER (WHERE running), 0),
    COALESCE(SUM(memory) FILTER (WHERE running), 0),
    COALESCE(SUM(disk), 0)
  FROM w
  GROUP BY "teamId"
$$;

-- CPU core-hours each team's workspaces used from month_start (a UTC
-- midnight) until `until`, now (one row per team; the rollups hold nothing
-- after now). An interval counts for the part of it in that range; one still
-- open counts up to `until`. What the daily
-- rollups hold of the month comes from the team's days
-- (UsageTeamDailyRollup), the rest from the intervals they don't hold yet:
-- each closed one's backlog row past its watermark, each open one past its
-- own. So a decision reads the month's days and the few intervals the last
-- rollup pass hasn't reached, not every interval of the month, which grew
-- with the month under the team's lock. Timestamps are whole seconds (the
-- meter's), as the rollups count them.
CREATE FUNCTION "Team_core_hours"(team_ids TEXT[], month_start TIMESTAMP, until TIMESTAMP)
RETURNS TABLE ("teamId" TEXT, "coreHours" FLOAT8)
LANGUAGE sql STABLE AS $$
  SELECT t.id, (
    COALESCE((SELECT SUM("cpuMillicoreSeconds")::float8 FROM "UsageTeamDailyRollup" WHERE "teamId" = t.id AND "day" >= month_start::date), 0)
    + COALESCE((SELECT SUM("cpuMillicores"::float8 * EXTRACT(EPOCH FROM LEAST("endedAt", until) - GREATEST("rolledUpUntil", month_start)))
                  FROM "UsageRollupBacklog"
                 WHERE "teamId" = t.id AND "kind" = 'COMPUTE' AND LEAST("endedAt", until) > GREATEST("rolledUpUntil", month_start)), 0)
    + COALESCE((SELECT SUM("cpuMillicores"::float8 * EXTRACT(EPOCH FROM until - GREATEST("rolledUpUntil", month_start)))
                  FROM "UsageInterval"
                 WHERE "teamId" = t.id AND "kind" = 'COMPUTE' AND "endedAt" IS NULL AND until > GREATEST("rolledUpUntil", month_start)), 0)
  ) / 3600000.0
  FROM unnest(team_ids) AS t(id)
$$;

-- What Team_core_hours reads of a team: its days, its backlog, its open compute intervals.
CREATE INDEX "UsageTeamDailyRollup_teamId_day_idx" ON "UsageTeamDailyRollup"("teamId", "day");
CREATE INDEX "UsageRollupBacklog_teamId_idx" ON "UsageRollupBacklog"("teamId");
CREATE INDEX "UsageInterval_open_compute_teamId_idx" ON "UsageInterval"("teamId") WHERE "endedAt" IS NULL AND "kind" = 'COMPUTE';

-- Locks lock_team_ids (NO KEY: rows that reference a team, such as usage
-- intervals, don't wait on it) in id order, then reads the quota state of
-- team_ids: { teams: [{ id, quotas, usage, coreHours }], members: [...] }.
-- The members (member_team_ids[i], member_owner_ids[i]) of a team with a
-- per-member limit are then locked, after the teams as everywhere, and
-- counted: their workspaces that aren't deleted, and those meant to run.
CREATE FUNCTION "Team_lock_quota_state"(lock_team_ids TEXT[], team_ids TEXT[], member_team_ids TEXT[], member_owner_ids TEXT[], month_start TIMESTAMP, until TIMESTAMP)
RETURNS JSONB LANGUAGE plpgsql AS $$
DECLARE
  teams JSONB;
  limited TEXT[];
  members JSONB := '[]';
BEGIN
  PERFORM 1 FROM "Team" WHERE "id" = ANY(lock_team_ids) ORDER BY "id" FOR NO KEY UPDATE;

  SELECT COALESCE(jsonb_agg(jsonb_build_object('id', t.id, 'quotas', COALESCE(q.rows, '[]'), 'usage', to_jsonb(u), 'coreHours', b."coreHours")), '[]')
    INTO teams
    FROM unnest(team_ids) AS t(id)
    LEFT JOIN (SELECT q."teamId", jsonb_agg(to_jsonb(q)) AS rows FROM "TeamQuota" q WHERE q."teamId" = ANY(team_ids) GROUP BY q."teamId") q ON q."teamId" = t.id
    LEFT JOIN "Team_usage"(team_ids) u ON u."teamId" = t.id
    LEFT JOIN "Team_core_hours"(team_ids, month_start, until) b ON b."teamId" = t.id;

  -- Judged on the quota rows just read, so the ledger and this agree on who is limited.
  SELECT array_agg(team->>'id') INTO limited
    FROM jsonb_array_elements(teams) AS team
    WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(team->'quotas') AS q
                  WHERE q->>'maxWorkspacesPerMember' IS NOT NULL OR q->>'maxRunningPerMember' IS NOT NULL);
  IF limited IS NOT NULL THEN
    PERFORM 1 FROM "User"
      WHERE "id" IN (SELECT m.owner_id FROM unnest(member_team_ids, member_owner_ids) AS m(team_id, owner_id) WHERE m.team_id = ANY(limited))
      ORDER BY "id" FOR NO KEY UPDATE;
    SELECT COALESCE(jsonb_agg(jsonb_build_object('teamId', c."teamId", 'ownerId', c."ownerId", 'workspaces', c.workspaces, 'running', c.running)), '[]')
      INTO members
      FROM (
        SELECT w."teamId", w."ownerId", COUNT(*) AS workspaces, COUNT(*) FILTER (WHERE w."desiredState" = 'RUNNING') AS running
        FROM "Workspace" w
        JOIN unnest(member_team_ids, member_owner_ids) AS m(team_id, owner_id) ON w."teamId" = m.team_id AND w."ownerId" = m.owner_id
        WHERE m.team_id = ANY(limited) AND w."state" <> 'DELETED'
        GROUP BY w."teamId", w."ownerId"
      ) c;
  END IF;

  RETURN jsonb_build_object('teams', teams, 'members', members);
END
$$;

-- A batch of starts' workspaces, locked in id order (as every batch locks
-- them, so batches that share workspaces don't deadlock), with their teams'
-- slugs: { workspaces: [...], quota } where quota is the state of the teams
-- and owners of those not meant to run yet (Team_lock_quota_state; null when
-- there are none), whose starts the ledger decides.
CREATE FUNCTION "Workspace_lock_starts"(workspace_ids TEXT[], month_start TIMESTAMP, until TIMESTAMP)
RETURNS JSONB LANGUAGE plpgsql AS $$
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
      FROM "Workspace" w JOIN "Team" t ON t."id" = w."teamId"
      WHERE w."id" = ANY(workspace_ids)
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
