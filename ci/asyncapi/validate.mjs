// Validate AsyncAPI documents with the AsyncAPI project's own parser (@asyncapi/parser).
//
//   node ci/asyncapi/validate.mjs contracts/asyncapi.yaml [more.yaml ...]
//
// Relative $ref files are resolved against each document's directory. Prints one JSON line
// per document: {"file", "diagnostics": [{"severity", "code", "message", "path"}]} with
// severity error, warning, info or hint. Exit 0 when no document has an error diagnostic,
// 1 when one does, 2 when a file cannot be read.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const NAMES = {
  [DiagnosticSeverity.Error]: "error",
  [DiagnosticSeverity.Warning]: "warning",
  [DiagnosticSeverity.Information]: "info",
  [DiagnosticSeverity.Hint]: "hint",
};

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate.mjs ASYNCAPI_FILE...");
  process.exit(2);
}
const parser = new Parser();
let failed = false;
for (const file of files) {
  let text;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    console.error(`${file}: cannot read: ${error.message}`);
    process.exit(2);
  }
  const { diagnostics } = await parser.parse(text, {
    source: pathToFileURL(resolve(file)).href,
  });
  const shown = diagnostics.map((d) => ({
    severity: NAMES[d.severity] ?? String(d.severity),
    code: String(d.code),
    message: d.message,
    path: d.path.join("/"),
  }));
  failed ||= shown.some((d) => d.severity === "error");
  console.log(JSON.stringify({ file, diagnostics: shown }));
}
process.exit(failed ? 1 : 0);
