"""Every code example of the docs, taken from the Markdown itself and checked by the test command.

The docs are README.md, swift/README.md and python/README.md, plus the examples in the doc
comments of the Swift module (`///` lines indented four more spaces in swift/Sources/DevToken).
Each fenced block's language decides how it is checked, so a doc and its check cannot drift apart:

    rust    compiled and run by rustdoc against the workspace's devtoken rlib
    python  run, each block in a fresh namespace, with the wheel under test
    kotlin  compiled with the Kotlin/JVM suite's tests and run (bindings/kotlin/pom.xml)
    swift   compiled in Swift 6 mode as a package that depends on devtoken by path, and run
    sh, text, console  shell sessions and output: shown, not run (the CLI's own tests cover them)
    python,not-run  Python that needs what no test machine has (AWS credentials for a KMS):
                    compiled, not run, so a syntax error still fails

No other `lang,marker` info string is accepted.
A block in any other language, or with none, is an error: nothing goes unchecked by accident.
Examples run in a scratch directory holding the demo key (`src/token/demo.rs`) under the file names
the docs use (`AuthKey_ABC123DEFG.p8`, `private-key.pem`, `SubscriptionKey_ABC123DEFG.p8`), with
the placeholders the docs leave to the reader (`issuer_id`, `client_id`, `request`, ...) defined by
a prelude per language (PRELUDES below). Calls that would reach Apple go to the loopback stand-in
(tests/independent/apple_stand_in.py): the constructors of the Maps and OAuth providers get the
stand-in's base URL added (REDIRECTS below; each must match some example, so none goes stale),
Python's `requests` is a stand-in that records the request instead of sending it, unless the
example imports the real one, and Python calls to the Apple API hosts of PYTHON_API_HOSTS reach
the stand-in instead.

    python3 tests/doc_examples.py list
    python3 tests/doc_examples.py python                 # with the interpreter running this script
    python3 tests/doc_examples.py rust                   # after cargo test --workspace
    python3 tests/doc_examples.py kotlin --out bindings/kotlin/target/doc-examples/DocExamples.kt
    python3 tests/doc_examples.py swift --out target/doc-examples/swift --run
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apple_stand_in import AppleStandIn

ROOT = Path(__file__).resolve().parents[1]
DOCS = ["README.md", "swift/README.md", "python/README.md"]
SWIFT_DOC_COMMENTS = "swift/Sources/DevToken"
CHECKED = {"rust", "python", "kotlin", "swift"}
SHOWN = {"sh", "text", "console"}
# `lang,marker` info strings: the only ones accepted (any other marker is an error, like an unknown
# language), and what each is checked as.
MARKED = {"python,not-run": "python-not-run"}


@dataclass
class Example:
    """One code block: where it is (file:line of its first code line), its language and code."""

    where: str
    lang: str
    code: str

    @property
    def path(self) -> str:
        return self.where.rsplit(":", 1)[0]

    @property
    def line(self) -> int:
        return int(self.where.rsplit(":", 1)[1])


def markdown_examples(path: Path) -> list[Example]:
    """The fenced blocks of one Markdown file; an unknown or missing language is an error."""
    examples: list[Example] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    fence = re.compile(r"^(\s*)```(.*)$")
    i = 0
    while i < len(lines):
        match = fence.match(lines[i])
        if not match:
            i += 1
            continue
        indent, info = match.group(1), match.group(2).strip()
        lang = info.split(",")[0].strip()
        if "," in info:
            marked = ",".join(part.strip() for part in info.split(","))
            if marked not in MARKED:
                sys.exit(
                    f"{path.relative_to(ROOT)}:{i + 1}: code block marked {info!r}; "
                    f"the only marked forms are {sorted(MARKED)}"
                )
            lang = MARKED[marked]
        start = i + 1
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
            i += 1
        if i == len(lines):
            sys.exit(f"{path.relative_to(ROOT)}:{start}: code block never closed")
        i += 1
        where = f"{path.relative_to(ROOT)}:{start + 1}"
        if lang not in CHECKED | SHOWN | set(MARKED.values()):
            sys.exit(
                f"{where}: code block in {lang or 'no language'!r}; "
                f"say which of {sorted(CHECKED | SHOWN)}"
            )
        examples.append(Example(where, lang, "\n".join(body) + "\n"))
    return examples


def swift_doc_comment_examples(folder: Path) -> list[Example]:
    """Code in Swift doc comments: consecutive `///` lines indented four spaces beyond `/// `."""
    examples: list[Example] = []
    for path in sorted(folder.glob("*.swift")):
        lines = path.read_text(encoding="utf-8").splitlines()
        i = 0
        while i < len(lines):
            if re.match(r"^\s*///     \S", lines[i]):
                start = i
                body = []
                while i < len(lines) and re.match(r"^\s*///(     |\s*$)", lines[i]):
                    body.append(re.sub(r"^\s*///     ?", "", lines[i]))
                    i += 1
                where = f"{path.relative_to(ROOT)}:{start + 1}"
                examples.append(
                    Example(where, "swift", textwrap.dedent("\n".join(body)).strip() + "\n")
                )
            else:
                i += 1
    return examples


def all_examples() -> list[Example]:
    examples = [e for doc in DOCS for e in markdown_examples(ROOT / doc)]
    return examples + swift_doc_comment_examples(ROOT / SWIFT_DOC_COMMENTS)


def demo_key_pem() -> str:
    source = (ROOT / "src" / "token" / "demo.rs").read_text(encoding="utf-8")
    match = re.search(
        r'DEMO_KEY_PEM: &str = "(-----BEGIN PRIVATE KEY-----.*?-----END PRIVATE KEY-----\n)";',
        source,
        re.S,
    )
    if not match:
        sys.exit("src/token/demo.rs: DEMO_KEY_PEM not found")
    return match.group(1)


KEY_FILE_NAMES = ["AuthKey_ABC123DEFG.p8", "private-key.pem", "SubscriptionKey_ABC123DEFG.p8"]


def write_keys(folder: Path) -> Path:
    """`folder` with the demo key under every file name the docs use."""
    pem = demo_key_pem()
    folder.mkdir(parents=True, exist_ok=True)
    for name in KEY_FILE_NAMES:
        (folder / name).write_text(pem, encoding="utf-8")
    return folder


def key_folder() -> Path:
    """A scratch directory holding the demo key under every file name the docs use."""
    return write_keys(Path(tempfile.mkdtemp(prefix="devtoken-doc-examples-")))


# The placeholders the docs leave to the reader, per language. The OAuth ids are UUID-shaped, as
# Apple's are, so the stand-in accepts the assertions.
UUID = "27478e71-3bb0-4588-998c-182e2b405577"
KEY_UUID = "d7f3a1c2-5b6e-4f80-9a1b-2c3d4e5f6a7b"
ISSUER_ID = "57246542-96fe-1a63-e053-0824d011072a"
PRELUDES = {
    "python": f"""
import devtoken
from devtoken import Claims, Service, Signer
signer = devtoken.Signer.from_file("AuthKey_ABC123DEFG.p8")
issuer_id, key_id, key_uuid = "{ISSUER_ID}", "ABC123DEFG", "{KEY_UUID}"
client_id = team_id = "SEARCHADS.{UUID}"
org_id, app_account_token = "1234567", "0c1f0ad3-2b8f-4a0c-9a52-4d0a6a5b0e11"
url = "https://api.searchads.apple.com/api/v5/campaigns"
""",
    "kotlin": f"""
private val signer: Signer get() = Signer.fromFile("AuthKey_ABC123DEFG.p8")
private const val issuerId = "{ISSUER_ID}"
private const val keyUuid = "{KEY_UUID}"
private const val clientId = "SEARCHADS.{UUID}"
private const val teamId = "SEARCHADS.{UUID}"
private const val orgId = "1234567"
private val standIn by lazy {{ dev.devtoken.AppleStandIn(signer.publicKeyPem()) }}
private val standInNetwork get() = NetworkOptions(baseUrl = standIn.baseUrl)
private val request: java.net.http.HttpRequest.Builder
    get() = java.net.http.HttpRequest.newBuilder(java.net.URI("https://api.searchads.apple.com/api/v5/campaigns"))
""",
    # Globals of the generated package (Prelude.swift), which also imports Foundation.
    "swift": f"""
let signer = try! Signer(contentsOf: URL(filePath: "AuthKey_ABC123DEFG.p8"))
let issuerID = "{ISSUER_ID}", keyUUID = "{KEY_UUID}", bundle = "com.example.app"
let clientId = "SEARCHADS.{UUID}", teamId = "SEARCHADS.{UUID}"
let deviceToken = "00fc13adff785122b4ad28809a3420982341241421348097878e577c991de8f0"
nonisolated(unsafe) var request = URLRequest(url: URL(string: "https://api.searchads.apple.com/api/v5/campaigns")!)
/// Where calls that would reach Apple go: the loopback stand-in the runner started.
let standIn = NetworkOptions(
    baseUrl: ProcessInfo.processInfo.environment["DOC_EXAMPLES_STAND_IN"] ?? "")
""",
    "rust": f"""
let issuer_id = "{ISSUER_ID}";
""",
}

# Calls that would reach Apple, sent to the loopback stand-in instead: (language, constructor,
# the argument added before its closing parenthesis). Every entry must match some example.
REDIRECTS = [
    ("python", "MapsTokenProvider(", ", base_url=STAND_IN"),
    ("python", "OAuthTokenProvider(", ", base_url=STAND_IN"),
    ("kotlin", "MapsTokenProvider(", ", network = standInNetwork"),
    ("kotlin", "OAuthTokenProvider(", ", network = standInNetwork"),
    ("swift", "MapsTokenProvider(", ", network: standIn"),
    ("swift", "OAuthTokenProvider(", ", network: standIn"),
]


# Apple API hosts the Python examples call through httpx or requests with devtoken's auth, sent to
# the stand-in, which answers 200 to an access token it issued. Each must match some example.
PYTHON_API_HOSTS = ["https://maps-api.apple.com"]
# The same for the Kotlin examples (java.net.http), replaced by the stand-in's base URL as a
# string template of the Kotlin prelude's `standIn`.
KOTLIN_API_HOSTS = ["https://maps-api.apple.com"]
# The same for the Swift examples' URLSession calls (the stand-in's address is read at run time).
SWIFT_API_HOSTS = ["https://maps-api.apple.com"]


def redirect(lang: str, code: str, used: set[int]) -> str:
    """Adds the stand-in's base URL to every call of a constructor listed in REDIRECTS."""
    for index, (redirect_lang, call, added) in enumerate(REDIRECTS):
        if redirect_lang != lang:
            continue
        position = 0
        while (start := code.find(call, position)) >= 0:
            if start > 0 and (code[start - 1].isalnum() or code[start - 1] == "_"):
                position = start + len(call)
                continue
            depth, end, argument = 0, start + len(call) - 1, added
            while True:
                if code[end] == "(":
                    depth += 1
                elif code[end] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                end += 1
            comment = "#" if lang == "python" else "//"
            before = "\n".join(
                line.split(comment)[0] for line in code[start:end].splitlines()
            ).rstrip()
            if before.endswith(","):  # a trailing comma already separates the new argument
                argument = argument.removeprefix(", ")
            code = code[:end] + argument + code[end:]
            used.add(index)
            position = end + len(argument)
    return code


def check_redirects_used(lang: str, used: set[int]) -> None:
    stale = [
        REDIRECTS[i] for i in range(len(REDIRECTS)) if REDIRECTS[i][0] == lang and i not in used
    ]
    if stale:
        sys.exit(
            f"doc_examples.py: no {lang} example calls "
            f"{[call for _, call, _ in stale]}: update REDIRECTS"
        )


def examples_in(lang: str) -> list[Example]:
    examples = [e for e in all_examples() if e.lang == lang]
    if not examples:
        sys.exit(f"doc_examples.py: no {lang} examples found in {DOCS}")
    return examples


def split_imports(code: str, keyword: str) -> tuple[list[str], str]:
    """The `import` lines of a block (lifted to the top of a generated file) and the rest."""
    imports = [line for line in code.splitlines() if line.startswith(keyword + " ")]
    # Blank lines where the imports were, so line numbers stay the doc's.
    rest = "\n".join("" if line.startswith(keyword + " ") else line for line in code.splitlines())
    return imports, rest


class RecordingRequests:
    """Python's `requests` for the examples: records each call instead of reaching Apple."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []

    def get(self, url: str, headers: dict[str, str] | None = None, **_: object) -> None:
        authorization = (headers or {}).get("Authorization", "")
        if not re.fullmatch(r"Bearer [A-Za-z0-9._~+/=-]+", authorization):
            raise AssertionError(
                f"requests.get({url!r}): Authorization header "
                f"{authorization[:16]!r}... is no bearer token"
            )
        self.calls.append((url, dict(headers or {})))


def start_stand_in() -> AppleStandIn:
    """The loopback stand-in for Apple (tests/independent/apple_stand_in.py), accepting the
    demo key, serving on a thread of its own. Imported here: it needs `cryptography`, which the
    Rust and Kotlin modes (run by the system Python) do without."""
    sys.path.insert(0, str(ROOT / "tests" / "independent"))
    from apple_stand_in import AppleStandIn, demo_public_key_pem  # noqa: PLC0415

    return AppleStandIn(demo_public_key_pem()).start()


def run_python() -> None:
    stand_in = start_stand_in()
    folder = key_folder()
    os.chdir(folder)
    os.environ["APPLE_KEY"] = demo_key_pem().replace("\n", "\\n")  # the pasted form
    used: set[int] = set()
    used_hosts: set[str] = set()
    for example in examples_in("python"):
        requests = RecordingRequests()
        namespace: dict[str, object] = {
            "__name__": "__doc_example__",
            "STAND_IN": stand_in.base_url,
        }
        exec(compile(PRELUDES["python"], "<prelude>", "exec"), namespace)  # noqa: S102
        namespace["requests"] = requests
        code = redirect("python", example.code, used)
        for host in PYTHON_API_HOSTS:
            if host in code:
                used_hosts.add(host)
                code = code.replace(host, stand_in.base_url)
        try:
            # Blank lines in front, so a traceback names the doc's own line.
            placed = "\n" * (example.line - 1) + code
            exec(compile(placed, str(ROOT / example.path), "exec"), namespace)  # noqa: S102
        except Exception as error:
            raise SystemExit(f"{example.where}: the Python example raised {error!r}") from error
        if "requests.get(" in example.code and not requests.calls:
            sys.exit(f"{example.where}: the example's requests.get was never called")
        print(f"ok  {example.where} (python, ran)")
    check_redirects_used("python", used)
    if stale_hosts := set(PYTHON_API_HOSTS) - used_hosts:
        sys.exit(f"doc_examples.py: no python example calls {sorted(stale_hosts)}")
    stand_in.shutdown()
    for example in [e for e in all_examples() if e.lang == "python-not-run"]:
        placed = "\n" * (example.line - 1) + example.code
        compile(placed, str(ROOT / example.path), "exec")
        print(f"ok  {example.where} (python, compiled, not run)")


def write_rust(out: Path) -> list[Example]:
    """A Markdown file of the Rust examples, each a program rustdoc compiles and runs."""
    examples = examples_in("rust")
    parts = []
    for example in examples:
        body = textwrap.indent(PRELUDES["rust"].strip() + "\n" + example.code, "    ")
        parts.append(
            f"{example.where}\n\n```rust\n"
            f"fn main() -> Result<(), Box<dyn std::error::Error>> {{\n{body}    Ok(())\n}}\n```\n"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts), encoding="utf-8")
    return examples


def devtoken_rlib() -> Path:
    """The workspace's devtoken library as `cargo test --workspace --all-features` built it."""
    command = ["cargo", "build", "--workspace", "--all-features", "--message-format=json", "-q"]
    messages = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    for line in messages.splitlines():
        message = json.loads(line)
        target = message.get("target", {})
        if (
            message.get("reason") == "compiler-artifact"
            and target.get("name") == "devtoken"
            and "lib" in target["kind"]
        ):
            return Path(next(name for name in message["filenames"] if name.endswith(".rlib")))
    sys.exit("cargo built no devtoken rlib")


def run_rust(out: Path) -> None:
    examples = write_rust(out)
    rlib = devtoken_rlib()
    deps = rlib.parent / "deps" if rlib.parent.name != "deps" else rlib.parent
    folder = key_folder()
    command = [
        "rustdoc", "--test", str(out.resolve()), "--edition", "2021",
        "--crate-name", "doc_examples",
        "--extern", f"devtoken={rlib.resolve()}", "-L", f"dependency={deps.resolve()}",
    ]  # fmt: skip
    subprocess.run(command, cwd=folder, check=True)
    for example in examples:
        print(f"ok  {example.where} (rust, compiled and ran)")


def write_kotlin(out: Path) -> None:
    """One Kotlin file, compiled with the suite's test sources: each example a function, and a
    `main` that runs them all in the folder of keys written beside it (`keys/`), with the Kotlin
    suite's AppleStandIn as Apple."""
    lifted: set[str] = set()
    functions, calls = [], []
    used: set[int] = set()
    used_hosts: set[str] = set()
    for number, example in enumerate(examples_in("kotlin"), 1):
        code = redirect("kotlin", example.code, used)
        for host in KOTLIN_API_HOSTS:
            if host in code:
                used_hosts.add(host)
                code = code.replace(host, "${standIn.baseUrl}")
        imports, rest = split_imports(code, "import")
        lifted.update(imports)
        functions.append(
            f"// {example.where}\nfun docExample{number}() {{\n"
            f"{textwrap.indent(rest.strip(), '    ')}\n}}\n"
        )
        calls.append(f'    "{example.where}" to ::docExample{number},')
    check_redirects_used("kotlin", used)
    if stale_hosts := set(KOTLIN_API_HOSTS) - used_hosts:
        sys.exit(f"doc_examples.py: no kotlin example calls {sorted(stale_hosts)}")
    header = [
        "// Generated by tests/doc_examples.py from the docs' Kotlin examples; do not edit.",
        '@file:Suppress("UNUSED_VARIABLE", "unused")',
        "package dev.devtoken.docexamples",
        "",
        *sorted(lifted | {"import dev.devtoken.*"}),
    ]
    main = [
        "fun main() {",
        "    val examples = listOf(",
        *calls,
        "    )",
        "    for ((place, example) in examples) {",
        "        example()",
        '        println("ok  $place (kotlin, compiled and ran)")',
        "    }",
        "    standIn.close()",
        "    kotlin.system.exitProcess(0)  // the stand-in's executor threads are not daemons",
        "}",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(header) + "\n" + PRELUDES["kotlin"] + "\n" + "\n".join(functions + main) + "\n"
    out.write_text(text, encoding="utf-8")
    keys = write_keys(out.parent / "keys")
    print(f"wrote {out} ({len(functions)} Kotlin examples) and {keys}")


SWIFT_PACKAGE = """// swift-tools-version: 6.2
// Generated by tests/doc_examples.py: the docs' Swift examples as a package that depends on
// devtoken by path, as a user's would. Swift 6 language mode.
import PackageDescription

let package = Package(
    name: "DocExamples",
    dependencies: [.package(name: "devtoken", path: "{root}")],
    targets: [
        .executableTarget(
            name: "DocExamples",
            dependencies: [
                .product(name: "DevToken", package: "devtoken"),
                .product(name: "DevTokenURLSession", package: "devtoken"),
            ],
            // The examples leave values unused (`let token = ...`); only errors matter here.
            swiftSettings: [.unsafeFlags(["-suppress-warnings"])]
        )
    ]
)
"""


def write_swift(out: Path) -> list[Example]:
    """A package whose executable runs every Swift example. Each example is a function in a file
    of its own with the example's own imports (a fragment without any gets DevToken and
    Foundation), so an example that forgets an import fails as it would for a user."""
    examples = examples_in("swift")
    used: set[int] = set()
    sources = out / "Sources" / "DocExamples"
    if sources.exists():
        for old in sources.glob("*.swift"):
            old.unlink()
    sources.mkdir(parents=True, exist_ok=True)
    calls = []
    used_hosts: set[str] = set()
    for number, example in enumerate(examples, 1):
        code = redirect("swift", example.code, used)
        for host in SWIFT_API_HOSTS:
            if host in code:
                used_hosts.add(host)
                code = code.replace(host, '\\(standIn.baseUrl ?? "")')
        imports, rest = split_imports(code, "import")
        body = textwrap.indent(rest.rstrip(), "    ")
        text = [
            f"// Generated by tests/doc_examples.py from {example.where}; do not edit.",
            *(imports or ["import DevToken", "import Foundation"]),
            "",
            f"func docExample{number}() async throws {{",
            # Diagnostics name the doc's own file and line.
            f'#sourceLocation(file: "{ROOT / example.path}", line: {example.line})',
            body,
            "#sourceLocation()",
            "}",
        ]
        (sources / f"Example{number}.swift").write_text("\n".join(text) + "\n", encoding="utf-8")
        calls.append(f'    ("{example.where}", docExample{number}),')
    check_redirects_used("swift", used)
    if stale_hosts := set(SWIFT_API_HOSTS) - used_hosts:
        sys.exit(f"doc_examples.py: no swift example calls {sorted(stale_hosts)}")
    prelude = [
        "// Generated by tests/doc_examples.py: what the docs' Swift examples leave to the reader.",
        "import DevToken",
        "import Foundation",
        "#if canImport(FoundationNetworking)",
        "import FoundationNetworking",
        "#endif",
        PRELUDES["swift"],
    ]
    main = [
        "// Generated by tests/doc_examples.py: runs every Swift example in the docs' order.",
        "import Foundation",
        "",
        "let examples: [(String, () async throws -> Void)] = [",
        *calls,
        "]",
        "for (place, example) in examples {",
        "    do {",
        "        try await example()",
        '        print("ok  \\(place) (swift, compiled and ran)")',
        "    } catch {",
        '        print("\\(place): the Swift example threw \\(error)")',
        "        exit(1)",
        "    }",
        "}",
    ]
    (out / "Package.swift").write_text(SWIFT_PACKAGE.replace("{root}", str(ROOT)), encoding="utf-8")
    (sources / "Prelude.swift").write_text("\n".join(prelude) + "\n", encoding="utf-8")
    (sources / "main.swift").write_text("\n".join(main) + "\n", encoding="utf-8")
    return examples


def run_swift(out: Path, run: bool) -> None:
    examples = write_swift(out)
    print(f"wrote {out} ({len(examples)} Swift examples)")
    if not run:
        return
    subprocess.run(["swift", "build", "--package-path", str(out)], check=True)
    binary = Path(
        subprocess.run(
            ["swift", "build", "--package-path", str(out), "--show-bin-path"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    stand_in = start_stand_in()
    env = dict(os.environ, DOC_EXAMPLES_STAND_IN=stand_in.base_url)
    subprocess.run([str(binary / "DocExamples")], cwd=key_folder(), env=env, check=True)
    stand_in.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="every code block and how it is checked")
    commands.add_parser("python", help="run the Python examples with this interpreter")
    rust = commands.add_parser("rust", help="compile and run the Rust examples with rustdoc")
    rust.add_argument("--out", type=Path, default=ROOT / "target" / "doc-examples" / "rust.md")
    kotlin = commands.add_parser("kotlin", help="write the Kotlin examples as one source file")
    kotlin.add_argument("--out", type=Path, required=True)
    swift = commands.add_parser(
        "swift", help="write (and with --run, build and run) the Swift examples' package"
    )
    swift.add_argument("--out", type=Path, required=True)
    swift.add_argument("--run", action="store_true")
    args = parser.parse_args()
    if args.command == "list":
        for example in all_examples():
            how = {"python-not-run": "compiled only"}.get(
                example.lang, "checked" if example.lang in CHECKED else "shown only"
            )
            print(f"{example.where}: {example.lang} ({how})")
    elif args.command == "python":
        run_python()
    elif args.command == "rust":
        run_rust(args.out)
    elif args.command == "kotlin":
        write_kotlin(args.out)
    else:
        run_swift(args.out, args.run)


if __name__ == "__main__":
    main()
