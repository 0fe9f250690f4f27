// Builds the front-end assets into src/govhub/static/dist: the white-labelled stylesheet, GOV.UK
// Frontend's JavaScript and Swagger UI for the API documentation page. Nothing is fetched at run time.
import { cpSync, mkdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as sass from "sass";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "src", "govhub", "static", "dist");
const govuk = join(here, "node_modules", "govuk-frontend", "dist", "govuk");
const swagger = join(here, "node_modules", "swagger-ui-dist");

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "swagger-ui"), { recursive: true });

const css = sass.compile(join(here, "govhub.scss"), {
  style: "compressed",
  importers: [new sass.NodePackageImporter()],
  quietDeps: true,
  silenceDeprecations: ["import"],
});
if (css.css.includes("GDS Transport")) {
  throw new Error("the compiled stylesheet still names GDS Transport");
}
writeFileSync(join(out, "govhub.css"), css.css);

cpSync(join(govuk, "govuk-frontend.min.js"), join(out, "govuk-frontend.min.js"));
cpSync(join(here, "govhub.mjs"), join(out, "govhub.js"));
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
  cpSync(join(swagger, file), join(out, "swagger-ui", file));
}
const version = JSON.parse(readFileSync(join(govuk, "..", "..", "package.json"), "utf8")).version;
writeFileSync(join(out, "VERSION"), `govuk-frontend ${version}\n`);
console.log(`assets built into ${out} (govuk-frontend ${version})`);
