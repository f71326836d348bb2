// The published types tell the truth: typed consumers of every entry point (__test__/types/)
// compile with the TypeScript compiler under --strict, and each entry point's declared value
// exports are exactly the exports its module has at runtime. Both resolve the package by its
// name through package.json "exports" (a package can import itself by name), as a user's would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const ts = require('typescript');

const typesDir = path.join(root, '__test__', 'types');

// Each entry point: its declaration file, the module format TypeScript must read it as (what
// the runtime file is), and how a user loads it at runtime.
const entries = [
  { specifier: 'leakhound', format: 'require', declarations: 'index.d.ts', kind: 'commonjs', load: () => require('leakhound') },
  { specifier: 'leakhound', format: 'import', declarations: 'index.d.ts', kind: 'commonjs', load: () => import('leakhound') },
  { specifier: 'leakhound/jest', format: 'require', declarations: 'adapters/jest.d.ts', kind: 'commonjs', load: () => require('leakhound/jest') },
  { specifier: 'leakhound/node-test', format: 'require', declarations: 'adapters/node-test.d.ts', kind: 'commonjs', load: () => require('leakhound/node-test') },
  { specifier: 'leakhound/vitest', format: 'import', declarations: 'adapters/vitest.d.mts', kind: 'esm', load: () => import('leakhound/vitest') },
];

const formatHost = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => root,
  getNewLine: () => '\n',
};

function formatDiagnostics(diagnostics) {
  return ts.formatDiagnostics(diagnostics, formatHost);
}

// One program for every test: building it is most of the cost.
let compiled;
function compile() {
  if (compiled) return compiled;
  const configErrors = [];
  const config = ts.getParsedCommandLineOfConfigFile(path.join(typesDir, 'tsconfig.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => configErrors.push(d),
  });
  if (!config) throw new Error(`__test__/types/tsconfig.json:\n${formatDiagnostics(configErrors)}`);
  configErrors.push(...config.errors);
  const declarationFiles = [...new Set(entries.map((e) => path.join(root, e.declarations)))];
  const program = ts.createProgram({
    rootNames: [...config.fileNames, ...declarationFiles],
    options: config.options,
  });
  compiled = { config, configErrors, program, declarationFiles };
  return compiled;
}

/** Files of this package in the program: the consumers and the package's own declaration files. */
function ownFiles(program) {
  return program.getSourceFiles().filter((sf) => {
    const rel = path.relative(root, sf.fileName);
    return !rel.startsWith('..') && !path.isAbsolute(rel) && !rel.split(/[\\/]/).includes('node_modules');
  });
}

test('typed consumers of every entry point compile under --strict with no diagnostics', () => {
  const { config, configErrors, program, declarationFiles } = compile();
  assert.equal(config.options.strict, true, 'the consumers are checked with strict');
  assert.equal(config.options.skipLibCheck, false, "the package's declaration files are checked too");
  const consumers = config.fileNames.map((f) => path.basename(f)).sort();
  for (const expected of ['commonjs.cts', 'esm.mts', 'jest.cts', 'node-test.cts', 'vitest.mts']) {
    assert.ok(consumers.includes(expected), `${expected} is among the checked files (${consumers.join(', ')})`);
  }

  const files = ownFiles(program);
  const checked = files.map((sf) => path.relative(root, sf.fileName).split(path.sep).join('/'));
  for (const file of declarationFiles) {
    assert.ok(checked.includes(path.relative(root, file).split(path.sep).join('/')), `${file} is checked`);
  }
  // Third-party declaration files (@types/node, vitest, jest) are theirs to check; every
  // diagnostic about this package's files, and every global one, counts.
  const diagnostics = [
    ...configErrors,
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...files.flatMap((sf) => [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)]),
  ];
  assert.equal(diagnostics.length, 0, `TypeScript reported:\n${formatDiagnostics(diagnostics)}`);
});

test('each entry point resolves by package name to its declaration file, in its own module format', () => {
  const { program, config } = compile();
  for (const { specifier, format, declarations, kind } of entries) {
    const containing = path.join(typesDir, format === 'import' ? 'esm.mts' : 'commonjs.cts');
    const mode = format === 'import' ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS;
    const { resolvedModule } = ts.resolveModuleName(specifier, containing, config.options, ts.sys, undefined, undefined, mode);
    assert.ok(resolvedModule, `${specifier} (${format}) resolves`);
    assert.equal(path.relative(root, resolvedModule.resolvedFileName), path.normalize(declarations), `${specifier} (${format})`);
    // A .d.ts in a package without "type": "module" declares a CommonJS module: for an ES module
    // importer TypeScript then gives it a default export, the module object, which is what
    // index.mjs exports as default. The Vitest adapter is an ES module, declared by a .d.mts.
    const expected = kind === 'esm' ? ts.ModuleKind.ESNext : ts.ModuleKind.CommonJS;
    assert.equal(program.getSourceFile(resolvedModule.resolvedFileName).impliedNodeFormat, expected, declarations);
  }
  // The adapters resolve only in the format they are written in, as at runtime.
  for (const [specifier, from, mode] of [
    ['leakhound/jest', 'esm.mts', ts.ModuleKind.ESNext],
    ['leakhound/node-test', 'esm.mts', ts.ModuleKind.ESNext],
    ['leakhound/vitest', 'commonjs.cts', ts.ModuleKind.CommonJS],
  ]) {
    const { resolvedModule } = ts.resolveModuleName(specifier, path.join(typesDir, from), config.options, ts.sys, undefined, undefined, mode);
    assert.equal(resolvedModule, undefined, `${specifier} from ${from} must not resolve`);
  }
});

/**
 * An entry point's declared exports, by the type checker: value exports (with whether they can be
 * called or constructed, and whether they are `any`), and type-only ones.
 */
function declaredExports(program, file) {
  const checker = program.getTypeChecker();
  const sourceFile = program.getSourceFile(file);
  assert.ok(sourceFile, `${file} is in the program`);
  const moduleSymbol = checker.getSymbolAtLocation(sourceFile);
  assert.ok(moduleSymbol, `${file} is a module`);
  const values = new Map();
  const types = [];
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    const isAlias = (symbol.flags & ts.SymbolFlags.Alias) !== 0;
    const typeOnlyAlias = isAlias && (symbol.declarations ?? []).some((d) => ts.isTypeOnlyImportOrExportDeclaration(d));
    const target = isAlias ? checker.getAliasedSymbol(symbol) : symbol;
    if (typeOnlyAlias || (target.flags & ts.SymbolFlags.Value) === 0) {
      types.push(symbol.name);
      continue;
    }
    const type = checker.getTypeOfSymbol(target);
    values.set(symbol.name, {
      callable: type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0,
      any: (type.flags & ts.TypeFlags.Any) !== 0,
    });
  }
  return { values, types };
}

test('every runtime export is declared, and every declared value export exists at runtime', async () => {
  const { program } = compile();
  const cjsRoot = require('leakhound');
  for (const { specifier, format, declarations, load } of entries) {
    const where = `${specifier} (${format}) against ${declarations}`;
    const { values, types } = declaredExports(program, path.join(root, declarations));
    assert.ok(values.size > 0, `${where}: declares value exports`);
    const mod = await load();
    const runtime = new Set(Object.keys(mod));
    if (format === 'import' && specifier === 'leakhound') {
      // index.mjs: the CommonJS module's exports by name, and the module itself as default.
      assert.equal(mod.default, cjsRoot, `${where}: the default export is the CommonJS module`);
      runtime.delete('default');
      // Node 23 and later also name the CommonJS module 'module.exports' in an ES import.
      if (runtime.has('module.exports')) assert.equal(mod['module.exports'], cjsRoot, where);
      runtime.delete('module.exports');
    }
    const undeclared = [...runtime].filter((name) => !values.has(name)).sort();
    const missing = [...values.keys()].filter((name) => !runtime.has(name)).sort();
    assert.deepEqual({ undeclared, missing }, { undeclared: [], missing: [] }, `${where}: runtime exports not declared / declared exports missing at runtime`);
    for (const [name, { callable, any }] of values) {
      assert.equal(any, false, `${where}: ${name} is declared as any, which lets every use compile`);
      assert.equal(typeof mod[name] === 'function', callable, `${where}: ${name} is ${callable ? '' : 'not '}declared callable, but at runtime it is a ${typeof mod[name]}`);
    }
    const typeAndValue = types.filter((name) => runtime.has(name));
    assert.deepEqual(typeAndValue, [], `${where}: exported at runtime but declared as a type only`);
  }
});
