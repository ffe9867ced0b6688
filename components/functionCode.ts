import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { build, type BuildOptions, type Plugin } from "esbuild";

/**
 * A function's code, from its handler factory in `runtime/`.
 *
 * Pulumi serializes the factory exactly as `aws.lambda.CallbackFunction` does (`serializeFunction`,
 * factory mode, export `handler`): the runtime's functions it reaches become text, the packages
 * they use become `require` calls. esbuild then bundles that text with those packages (yup and the
 * handler's own AWS SDK clients, whose versions are the installed ones, pinned by the lock file)
 * into one minified file, tree-shaken to what the handler reaches. The archive is that one file:
 * it needs nothing from Lambda's runtime but Node itself, so it runs the same in Lambda, in the
 * local cloud and in the archive specs. Same sources, same packages: byte-identical code, so an
 * unchanged function is not updated.
 */

/** The one file of every archive. */
export const FUNCTION_FILE = "index.js";
/** Lambda's `handler` setting: the file without `.js`, and the export Lambda calls. */
export const FUNCTION_HANDLER = "index.handler";

/**
 * The serializer names the very file Node loaded for a package (`jsonc-parser/lib/umd/main.js`).
 * When that file is the package's `main` and the package also ships an ES module build (`module`),
 * the bundler takes that build: a UMD `main` requires its own files through a variable the bundler
 * cannot follow.
 */
function packageEntryPoints(): Plugin {
  return {
    name: "package-entry-points",
    setup(bundler) {
      bundler.onResolve({ filter: /^(@[^/]+\/)?[^./][^/]*\/.+/ }, async (args) => {
        if (args.pluginData === "by-name") return undefined;
        const [first, second, ...rest] = args.path.split("/");
        const name = first.startsWith("@") ? `${first}/${second}` : first;
        const subpath = (first.startsWith("@") ? rest : [second, ...rest]).join("/");
        let entries: { main?: string; module?: string };
        try {
          const manifest = require.resolve(`${name}/package.json`, { paths: [args.resolveDir] });
          entries = JSON.parse(readFileSync(manifest, "utf8")) as { main?: string; module?: string };
        } catch {
          return undefined;
        }
        const { main, module } = entries;
        if (!main || !module || path.posix.normalize(main) !== path.posix.normalize(subpath))
          return undefined;
        return bundler.resolve(`${name}/${path.posix.normalize(module)}`, {
          resolveDir: args.resolveDir,
          kind: args.kind,
          pluginData: "by-name",
        });
      });
    },
  };
}

/** How every function is bundled (and its floor measured, by `npm run bench`). */
export const BUNDLE_OPTIONS = {
  bundle: true,
  minify: true,
  platform: "node",
  format: "cjs",
  plugins: [packageEntryPoints()],
  // The oldest Node the package supports; Lambda's nodejs22.x runs it as is.
  target: "node20",
} as const satisfies BuildOptions;

export type HandlerFactory = () => (event: never) => Promise<unknown>;

export interface FunctionBundle {
  /** The bundled, minified code of `index.js`. */
  code: string;
  /** The npm packages whose code the bundle holds, sorted. */
  packages: string[];
}

/** The package a bundled file comes from (`@scope/name` or `name`), or undefined for the serialized text. */
function packageOf(file: string): string | undefined {
  const marker = "node_modules/";
  const at = file.lastIndexOf(marker);
  if (at < 0) return undefined;
  const [first, second] = file.slice(at + marker.length).split("/");
  return first.startsWith("@") ? `${first}/${second}` : first;
}

export async function bundleFunction(factory: HandlerFactory): Promise<FunctionBundle> {
  const serialized = await pulumi.runtime.serializeFunction(factory, {
    exportName: "handler",
    isFactoryFunction: true,
    // Secrets reach functions through Secrets Manager, never through their code.
    allowSecrets: false,
  });
  const result = await build({
    // Packages are resolved from this package's own folder, wherever the program installed it.
    stdin: { contents: serialized.text, resolveDir: __dirname, sourcefile: FUNCTION_FILE, loader: "js" },
    ...BUNDLE_OPTIONS,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const packages = new Set(
    Object.keys(result.metafile.inputs)
      .map((file) => packageOf(file.split(path.sep).join("/")))
      .filter((name): name is string => name !== undefined),
  );
  return { code: result.outputFiles[0].text, packages: [...packages].sort() };
}

/** The `code` of a function: an archive holding `index.js`, its bundled handler. */
export function functionCode(factory: HandlerFactory): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive(
    bundleFunction(factory).then(({ code }) => ({ [FUNCTION_FILE]: new pulumi.asset.StringAsset(code) })),
  );
}
