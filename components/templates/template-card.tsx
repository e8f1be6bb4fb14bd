import Link from "next/link";
import { Cpu, HardDrive, MemoryStick } from "lucide-react";

import { TemplateIcon } from "@/components/templates/template-icon";
import { choiceRange } from "@/components/templates/resources";
import { Badge } from "@/components/ui/badge";
import type { TemplateCard as TemplateCardData } from "@/lib/templates/catalog";

/** One template in the catalog; the whole card is the link to its page. */
function TemplateCard({ template }: { template: TemplateCardData }) {
  const { cpu, memoryGiB, diskGiB } = template.resources;
  return (
    <li className="relative flex flex-col gap-4 rounded-lg border bg-card p-5 text-card-foreground shadow-xs transition-colors focus-within:ring-2 focus-within:ring-ring hover:border-primary/40">
      <div className="flex items-start gap-3">
        <TemplateIcon icon={template.icon} />
        <div className="flex min-w-0 flex-col gap-1">
          <h2 className="text-base leading-tight font-semibold">
            {/* The stretched link makes the whole card clickable while the name stays the accessible label. */}
            <Link href={`/templates/${template.slug}`} className="outline-none after:absolute after:inset-0 after:rounded-lg">
              {template.name}
            </Link>
          </h2>
          <div className="flex flex-wrap items-center gap-1.5 text-xs text-muted-foreground">
            <span className="font-mono">{template.slug}</span>
            <span aria-hidden="true">·</span>
            <span>v{template.latestVersion}</span>
            {template.builtIn ? <Badge variant="outline">Built-in</Badge> : null}
            {template.archivedAt ? <Badge variant="warning">Archived</Badge> : null}
          </div>
        </div>
      </div>
      <p className="line-clamp-3 text-sm text-muted-foreground">{template.description || "No description."}</p>
      <dl className="mt-auto grid grid-cols-3 gap-2 text-xs">
        <div className="flex flex-col gap-0.5">
          <dt className="flex items-center gap-1 text-muted-foreground">
            <Cpu aria-hidden="true" className="size-3.5" />
            CPU
          </dt>
          <dd className="font-medium tabular-nums">{choiceRange(cpu)} cores</dd>
        </div>
        <div className="flex flex-col gap-0.5">
          <dt className="flex items-center gap-1 text-muted-foreground">
            <MemoryStick aria-hidden="true" className="size-3.5" />
            Memory
          </dt>
          <dd className="font-medium tabular-nums">{choiceRange(memoryGiB)} GiB</dd>
        </div>
        <div className="flex flex-col gap-0.5">
          <dt className="flex items-center gap-1 text-muted-foreground">
            <HardDrive aria-hidden="true" className="size-3.5" />
            Disk
          </dt>
          <dd className="font-medium tabular-nums">{choiceRange(diskGiB)} GiB</dd>
        </div>
      </dl>
      {template.tags.length > 0 ? (
        <ul aria-label="Tags" className="flex flex-wrap gap-1.5">
          {template.tags.map((tag) => (
            <li key={tag}>
              <Badge variant="secondary">{tag}</Badge>
            </li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}

export { TemplateCard };
