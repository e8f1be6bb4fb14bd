"use client";

import * as React from "react";

import { CopyButton } from "@/components/ui/copy-button";
import { Input } from "@/components/ui/input";

type ShownOnceProps = {
  label: string;
  value: string;
  /** What copying it is for; read out as the Copy button's name. */
  copyLabel: string;
  children: React.ReactNode;
};

/** A secret Podspace keeps only the hash of (a signed link, an API token), shown right after it is made, to copy now or never. */
function ShownOnce({ label, value, copyLabel, children }: ShownOnceProps) {
  const id = React.useId();
  return (
    <div data-slot="shown-once" className="flex flex-col gap-2 rounded-md border border-warning/40 bg-warning/10 p-3">
      <label htmlFor={id} className="text-sm font-medium">
        {label}
      </label>
      <div className="flex items-center gap-2">
        <Input id={id} readOnly value={value} className="font-mono text-xs" onFocus={(event) => event.currentTarget.select()} />
        <CopyButton text={value} variant="outline" aria-label={copyLabel}>
          Copy
        </CopyButton>
      </div>
      <p className="text-xs text-muted-foreground">{children}</p>
    </div>
  );
}

export { ShownOnce };
