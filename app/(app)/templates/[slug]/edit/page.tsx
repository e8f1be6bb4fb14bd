import type { Metadata } from "next";
import { notFound } from "next/navigation";

import { TemplateEditor } from "@/components/templates/template-editor";
import { Badge } from "@/components/ui/badge";
import { requireUser } from "@/lib/auth/current-user";
import { managesTemplates } from "@/lib/templates/access";
import { getTemplate } from "@/lib/templates/catalog";
import { specToYaml } from "@/lib/templates/yaml";
import { BackLink } from "@/components/ui/back-link";

type EditTemplatePageProps = { params: Promise<{ slug: string }> };

export async function generateMetadata({ params }: EditTemplatePageProps): Promise<Metadata> {
  return { title: `Edit ${(await params).slug}` };
}

export default async function EditTemplatePage({ params }: EditTemplatePageProps) {
  const user = await requireUser();
  if (!(await managesTemplates(user))) notFound();
  const template = await getTemplate(user, (await params).slug);
  if (!template) notFound();

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-2">
        <BackLink href={`/templates/${template.slug}`}>{template.name}</BackLink>
        <div className="flex flex-wrap items-center gap-2">
          <h1 className="text-2xl font-semibold tracking-tight">Edit {template.name}</h1>
          {template.builtIn ? <Badge variant="outline">Built-in</Badge> : null}
        </div>
        <p className="text-sm text-muted-foreground">
          Saving creates version {template.latest.version + 1}; version {template.latest.version} and its workspaces stay as they are.
          {template.builtIn ? " A later change to the built-in file becomes a newer version still." : ""}
        </p>
      </div>
      <TemplateEditor
        // A new version remounts the editor with it.
        key={template.latest.id}
        templateSlug={template.slug}
        initialYaml={specToYaml(template.latest.spec)}
        cancelHref={`/templates/${template.slug}`}
      />
    </div>
  );
}
