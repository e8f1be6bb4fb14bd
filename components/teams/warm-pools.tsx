"use client";

import * as React from "react";

import { setWarmPoolSizeAction } from "@/app/(app)/teams/[slug]/settings/actions";
import { FormField } from "@/components/forms/form-field";
import { FormMessage } from "@/components/forms/form-message";
import { HiddenFields } from "@/components/forms/hidden-fields";
import { useFormAction } from "@/components/forms/use-form-action";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { formatNumber } from "@/lib/format";
import { MAX_WARM_POOL_SIZE } from "@/lib/schemas/warm-pools";
import type { WarmPoolView } from "@/lib/workspaces/warm-pool/pool-overview";

type WarmPoolsProps = {
  teamId: string;
  pools: WarmPoolView[];
  /** Team owners and admins size pools; others see them. */
  canEdit: boolean;
};


function SizeForm({ teamId, pool }: { teamId: string; pool: WarmPoolView }) {
  const [state, formAction, pending] = useFormAction(setWarmPoolSizeAction);
  const id = React.useId();
  return (
    <form action={formAction} className="flex flex-wrap items-end gap-2" noValidate aria-label={`Warm pool size for ${pool.templateName}`}>
      <HiddenFields fields={{ teamId, templateId: pool.templateId }} />
      <FormField id={`${id}-size`} name="size" label="Workspaces kept warm" errors={state.fieldErrors?.size} className="w-40">
        {(control) => (
          // Remount on a new saved size so the field shows it.
          <Input {...control} key={pool.size} type="number" min={0} max={MAX_WARM_POOL_SIZE} defaultValue={state.status === "error" ? state.values?.size : String(pool.size)} />
        )}
      </FormField>
      <Button type="submit" size="sm" disabled={pending}>
        {pending ? "Saving…" : "Save"}
      </Button>
      {state.status === "error" && !state.fieldErrors?.size ? <FormMessage state={state} className="basis-full" /> : null}
    </form>
  );
}

/** Per template: how many workspaces the team keeps running for creates to claim, what they cost, and how full the pool is. */
export function WarmPools({ teamId, pools, canEdit }: WarmPoolsProps) {
  return (
    <ul className="flex flex-col divide-y rounded-md border">
      {pools.map((pool) => {
        const { cpu, memoryGiB, diskGiB } = pool.resources;
        return (
          <li key={pool.templateId} className="flex flex-wrap items-start justify-between gap-3 p-4" aria-label={`Warm pool for ${pool.templateName}`}>
            <div className="flex flex-col gap-1 text-sm">
              <span className="font-medium">
                {pool.templateName} <span className="text-muted-foreground">v{pool.version}</span>
              </span>
              <span className="text-muted-foreground">
                Each: {formatNumber(cpu)} CPU, {formatNumber(memoryGiB)} GiB memory, {formatNumber(diskGiB)} GiB disk.
                {pool.size > 0
                  ? ` The pool holds ${formatNumber(pool.size * cpu)} CPU, ${formatNumber(pool.size * memoryGiB)} GiB memory and ${formatNumber(pool.size * diskGiB)} GiB disk of the team's quota all the time: about ${formatNumber(pool.coreHoursPerMonth)} core-hours a month.`
                  : null}
              </span>
              {pool.size > 0 ? (
                <span>
                  {pool.running} of {pool.size} ready{pool.starting > 0 ? `, ${pool.starting} starting` : ""}.
                </span>
              ) : null}
              {pool.refillBlockedReason ? (
                <span role="status" className="text-destructive">
                  Not refilled: {pool.refillBlockedReason}
                </span>
              ) : null}
            </div>
            {canEdit ? <SizeForm teamId={teamId} pool={pool} /> : <span className="text-sm">Size {pool.size}</span>}
          </li>
        );
      })}
    </ul>
  );
}
