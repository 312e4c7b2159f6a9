"""``accord contracts usage|impact``, ``accord publish``, ``verify``, ``can-i-deploy`` and
``record-deployment``: consumer contracts (Pact) and the contract registry."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from accord.errors import UsageError

#: Provider adapters accord knows without ``--provider-adapter``.
_ADAPTERS = {"order": "reference_services.order.entrypoints.pact_provider:order_provider"}
_REGISTRY_HELP = "registry: a directory or git+file://PATH (default: $ACCORD_REGISTRY)"
#: What ``--contracts`` of the pact commands takes: pacts, which an AsyncAPI document lacks.
_PACTS_HELP = (
    "a directory of pact files, a contracts directory holding pacts/, or one pact file "
    "(not an AsyncAPI document: it holds no pacts)"
)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``contracts``, ``publish``, ``verify``, ``can-i-deploy`` and ``record-deployment``."""
    contracts = sub.add_parser("contracts", help="who uses which event field (from the pacts)")
    csub = contracts.add_subparsers(dest="contracts_command", metavar="COMMAND")
    contracts.set_defaults(handler=lambda args: (contracts.print_help(sys.stderr), 2)[1])

    usage = csub.add_parser("usage", help="matrix of event fields by consumer")
    usage.add_argument(
        "--contracts",
        default="contracts",
        metavar="DIR",
        help=f"{_PACTS_HELP} (default: contracts)",
    )
    usage.add_argument("--format", choices=("md", "json"), default="md")
    usage.set_defaults(handler=_usage)

    impact = csub.add_parser("impact", help="which consumers a schema change breaks")
    impact.add_argument("old", metavar="OLD.json", help="the schema consumers use today")
    impact.add_argument("new", metavar="NEW.json", help="the proposed schema")
    impact.add_argument(
        "--contracts",
        default="contracts",
        metavar="DIR",
        help=f"{_PACTS_HELP}; the mode comes from compatibility.toml of the contracts "
        "directory (default: contracts)",
    )
    impact.add_argument(
        "--mode",
        default=None,
        help="compatibility mode (default: from compatibility.toml, else FULL_TRANSITIVE)",
    )
    impact.add_argument("--format", choices=("text", "json"), default="text")
    impact.set_defaults(handler=_impact)

    publish = sub.add_parser(
        "publish",
        help="publish pacts and event schemas to a registry",
        description="Store a pacticipant's pacts (as consumer) and event schemas (as producer) "
        "under its version in the contract registry (or a Pact Broker), so providers can "
        "verify them and can-i-deploy can decide. Exit 0 when published, 2 for unusable input.",
    )
    publish.add_argument(
        "pact_files",
        nargs="*",
        metavar="PACT_FILE",
        help="pact JSON files to publish (their consumer should be --pacticipant)",
    )
    publish.add_argument("--registry", default=None, help=_REGISTRY_HELP)
    publish.add_argument(
        "--broker-url",
        default=None,
        help="publish to a Pact Broker with `pact broker publish` instead",
    )
    publish.add_argument(
        "--pacticipant",
        required=True,
        metavar="NAME",
        help="the application publishing, e.g. shipping (the consumer named in its pacts)",
    )
    publish.add_argument(
        "--version",
        required=True,
        metavar="VERSION",
        help="the version being published, e.g. the git sha or 1.4.0",
    )
    publish.add_argument(
        "--branch",
        default="",
        metavar="BRANCH",
        help="the branch the version was built from (pending pacts are told apart by it)",
    )
    publish.add_argument(
        "--contracts",
        default=None,
        metavar="DIR",
        help=f"publish the pacts whose consumer is --pacticipant from {_PACTS_HELP}",
    )
    publish.add_argument(
        "--schemas",
        action="append",
        default=[],
        metavar="PATH",
        help="also publish event schemas: a file, DIR/vN.json or DIR/<type>/vN.json; repeatable",
    )
    publish.add_argument(
        "--dry-run",
        action="store_true",
        help="with --broker-url: print the pact command instead of running it",
    )
    publish.set_defaults(handler=_publish)

    verify = sub.add_parser(
        "verify",
        help="verify a provider against its consumers' pacts",
        description="Replay every consumer's pact against the provider (started through its "
        "provider adapter) and, with a registry, record the results for can-i-deploy. Exit 0 "
        "when every pact that fails the build holds, 1 when one is broken, 2 for unusable "
        "input.",
    )
    verify.add_argument("--registry", default=None, help=_REGISTRY_HELP)
    verify.add_argument(
        "--pact-url",
        action="append",
        default=[],
        metavar="URL",
        help="verify the pact at URL (e.g. a Pact Broker pact URL); repeatable",
    )
    verify.add_argument(
        "--broker-url",
        default=None,
        help="read each --consumer's latest pact from this Pact Broker "
        "(URL/pacts/provider/P/consumer/C/latest, or .../branch/B/latest with --consumer-branch)",
    )
    verify.add_argument(
        "--consumer",
        action="append",
        default=[],
        metavar="NAME",
        help="with --broker-url: a consumer whose pact to verify; repeatable",
    )
    verify.add_argument(
        "--consumer-branch",
        default="",
        metavar="BRANCH",
        help="with --broker-url: take each consumer's latest pact of this branch",
    )
    verify.add_argument(
        "--contracts",
        default=None,
        metavar="DIR",
        help=f"verify the pacts (no registry) of {_PACTS_HELP}",
    )
    verify.add_argument(
        "--provider",
        required=True,
        metavar="NAME",
        help="the provider to verify, e.g. order (the provider named in the pacts)",
    )
    verify.add_argument(
        "--provider-version",
        default="",
        metavar="VERSION",
        help="the provider's version, recorded with the results (required with a registry)",
    )
    verify.add_argument(
        "--provider-branch",
        "--branch",
        default="",
        dest="provider_branch",
        metavar="BRANCH",
        help="the provider's branch, recorded with the results",
    )
    verify.add_argument(
        "--provider-adapter",
        default=None,
        metavar="MODULE:CALLABLE",
        help="callable(database_url) -> provider context manager "
        "(default for 'order': the reference order service)",
    )
    verify.add_argument(
        "--database-url",
        default=None,
        metavar="URL",
        help="empty database for provider states (default: SQLite temp file)",
    )
    verify.set_defaults(handler=_verify)

    deploy = sub.add_parser(
        "can-i-deploy",
        help="may this version go to that environment?",
        description="Decide from the registry's verification results whether a version may "
        "be deployed to an environment: every integration with what runs there must be "
        "verified. Exit 0 yes, 1 no (the reasons are printed), 2 when there is nothing to "
        "decide (an empty registry) or the input is unusable.",
    )
    deploy.add_argument(
        "--pacticipant",
        required=True,
        metavar="NAME",
        help="the application to deploy, e.g. order",
    )
    deploy.add_argument("--version", required=True, metavar="VERSION", help="the version to deploy")
    deploy.add_argument(
        "--to-environment",
        required=True,
        metavar="ENV",
        help="the environment to deploy to, e.g. production",
    )
    deploy.add_argument("--registry", default=None, help=_REGISTRY_HELP)
    deploy.add_argument(
        "--broker-url",
        default=None,
        help="ask a Pact Broker with `pact broker can-i-deploy` instead",
    )
    deploy.add_argument(
        "--dry-run",
        action="store_true",
        help="with --broker-url: print the pact command instead of running it",
    )
    deploy.set_defaults(handler=_can_i_deploy)

    record = sub.add_parser(
        "record-deployment",
        help="record that a version now runs in ENV",
        description="Record in the registry that a version of a pacticipant now runs in an "
        "environment (replacing the one that ran there), so can-i-deploy checks later "
        "versions of the others against it. Exit 0 when recorded, 2 for unusable input.",
    )
    record.add_argument(
        "--pacticipant",
        required=True,
        metavar="NAME",
        help="the application that was deployed, e.g. order",
    )
    record.add_argument(
        "--version", required=True, metavar="VERSION", help="the version that was deployed"
    )
    record.add_argument(
        "--environment",
        required=True,
        metavar="ENV",
        help="where it now runs, e.g. production",
    )
    record.add_argument("--registry", default=None, help=_REGISTRY_HELP)
    record.set_defaults(handler=_record_deployment)


def _pact_dir(contracts: str) -> Path:
    """The pacts of ``--contracts``: ``DIR/pacts``, else DIR (or one pact file) itself."""
    root = Path(contracts)
    if (root / "pacts").is_dir():
        return root / "pacts"
    if not root.exists():
        raise UsageError(f"{root}: no such directory; pass --contracts DIR with the pact files")
    if root.is_file() and _is_asyncapi(root):
        pacts = root.parent / "pacts"
        beside = f", e.g. {pacts} beside it" if pacts.is_dir() else ""
        raise UsageError(
            f"--contracts {root}: an AsyncAPI document holds no pacts; pass --contracts DIR "
            f"with the pact files{beside}"
        )
    return root


def _is_asyncapi(path: Path) -> bool:
    """A YAML file, or JSON with a top-level ``asyncapi`` key (a pact has none)."""
    if path.suffix.lower() in (".yaml", ".yml"):
        return True
    try:
        head = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False  # load_pacts names what is wrong with it
    return isinstance(head, dict) and "asyncapi" in head


def _usage(args: argparse.Namespace) -> int:
    from accord.pacts import format_usage_markdown, load_pacts, usage_matrix

    pacts = load_pacts([_pact_dir(args.contracts)])
    if not pacts:
        raise UsageError(f"{_pact_dir(args.contracts)}: no pact files (*.json) found")
    matrix = usage_matrix(pacts)
    if args.format == "json":
        print(json.dumps(matrix, indent=2))
    else:
        print(format_usage_markdown(matrix))
    return 0


def _read_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a JSON schema: {exc}") from None


def _mode_for(contracts: str, event_type: str) -> str:
    import tomllib

    root = Path(contracts)
    config = root / "compatibility.toml"
    if not config.is_file() and root.name == "pacts":  # --contracts contracts/pacts
        config = root.parent / "compatibility.toml"
    if not config.is_file():
        return "FULL_TRANSITIVE"
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{config}: not valid TOML: {exc}") from None
    types = data.get("types", {})
    return str(types.get(event_type, data.get("default", "FULL_TRANSITIVE"))).upper()


def _impact(args: argparse.Namespace) -> int:
    from accord.pacts import analyse_impact, load_pacts
    from accord.pacts._impact import _event_type

    old, new = _read_json(args.old), _read_json(args.new)
    for name, doc in ((args.old, old), (args.new, new)):
        if not isinstance(doc, dict):
            raise UsageError(f"{name}: not a JSON schema (top level is not an object)")
    pacts = load_pacts([_pact_dir(args.contracts)])
    event_type = _event_type(new, _event_type(old, "event"))
    mode = (args.mode or _mode_for(args.contracts, event_type)).upper()
    report = analyse_impact(old, new, pacts, mode=mode, where=(args.old, args.new))
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2))
    else:
        print(report.format_text())
    return 1 if report.broken_consumers else 0


def _registry_spec(value: str | None) -> str:
    spec = value or os.environ.get("ACCORD_REGISTRY", "")
    if not spec:
        raise UsageError("no registry: pass --registry DIR|git+file://PATH or set ACCORD_REGISTRY")
    return spec


def _publish(args: argparse.Namespace) -> int:
    from accord.pacts import broker_publish_command, load_pacts, pact_paths

    files = pact_paths(args.pact_files) if args.pact_files else []
    if args.contracts:
        chosen = [
            p.path
            for p in load_pacts([_pact_dir(args.contracts)])
            if p.consumer == args.pacticipant and p.path is not None
        ]
        files += chosen
    schemas: list[dict[str, Any]] = []
    for given in args.schemas:
        root = Path(given)
        if root.is_file():
            paths = [root]
        elif root.is_dir():
            paths = sorted([*root.glob("*/v*.json"), *root.glob("v*.json")])
        else:
            raise UsageError(f"{root}: no such schema file or directory")
        for path in paths:
            doc = _read_json(str(path))
            if not isinstance(doc, dict):
                raise UsageError(f"{path}: not a JSON schema (top level is not an object)")
            schemas.append(doc)
    if not files and not schemas:
        raise UsageError(
            f"nothing to publish for {args.pacticipant}: pass pact files, --contracts DIR "
            "(pacts whose consumer is the pacticipant) or --schemas DIR"
        )
    if args.broker_url:
        command = broker_publish_command(
            files, broker_url=args.broker_url, version=args.version, branch=args.branch
        )
        if args.dry_run:
            print(" ".join(command))
            return 0
        return subprocess.run(command, check=False).returncode
    from accord.registry import open_registry

    docs = [p.raw for p in load_pacts(files)]
    with open_registry(_registry_spec(args.registry)) as registry:
        stored = registry.publish(
            args.pacticipant,
            args.version,
            branch=args.branch,
            pacts=docs,
            schemas=schemas,
        )
    for line in stored:
        print(f"published {line} as {args.pacticipant} {args.version}")
    return 0


def _adapter(args: argparse.Namespace) -> Any:
    import importlib

    spec = args.provider_adapter or _ADAPTERS.get(args.provider)
    if spec is None:
        raise UsageError(
            f"no provider adapter for {args.provider!r}: pass --provider-adapter "
            "MODULE:CALLABLE returning a provider context manager"
        )
    module_name, _, attr = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attr or "provider")
    except (ImportError, AttributeError) as exc:
        raise UsageError(f"--provider-adapter {spec}: cannot import it: {exc}") from None
    return factory(args.database_url)


def _verify(args: argparse.Namespace) -> int:
    from accord.pacts import broker_pact_urls, verify_provider

    sources = list(args.pact_url)
    if args.broker_url:
        sources += broker_pact_urls(
            args.broker_url, args.provider, args.consumer, branch=args.consumer_branch
        )
    if args.contracts:
        sources.append(str(_pact_dir(args.contracts)))
    if not sources and not (args.registry or os.environ.get("ACCORD_REGISTRY")):
        raise UsageError("nothing to verify: pass --registry R, --pact-url URL or --contracts DIR")
    failed = False
    with _adapter(args) as provider:
        if provider.name != args.provider:
            raise UsageError(
                f"the adapter is for provider {provider.name!r}, not {args.provider!r}"
            )
        if sources:
            result = verify_provider(provider, sources)
            print(f"verified {args.provider} against {', '.join(sources)}:")
            print(result.summary() or "  (no interactions)")
            failed = not result.ok or not result.outcomes
        if args.registry or (not sources and os.environ.get("ACCORD_REGISTRY")):
            from accord.registry import open_registry, verify_from_registry

            if not args.provider_version:
                raise UsageError("--provider-version is required to record results in a registry")
            with open_registry(_registry_spec(args.registry)) as registry:
                runs = verify_from_registry(
                    registry,
                    provider,
                    provider_version=args.provider_version,
                    provider_branch=args.provider_branch,
                )
            if not runs:
                print(f"no pacts for provider {args.provider} in the registry")
            for run in runs:
                p = run.pact
                verdict = (
                    "OK"
                    if run.success
                    else ("FAILED (pending, not failing the build)" if p.pending else "FAILED")
                )
                print(f"{p.consumer} {p.consumer_version} [{'; '.join(p.reasons)}]: {verdict}")
                if not run.success:
                    print(run.result.summary())
                failed = failed or run.fails_build
    if failed:
        print(
            f"accord: verification of {args.provider} {args.provider_version} failed: a consumer's "
            "contract is broken (see above)",
            file=sys.stderr,
        )
    return 1 if failed else 0


def _can_i_deploy(args: argparse.Namespace) -> int:
    if args.broker_url:
        from accord.pacts import pact_cli

        command = [
            pact_cli(),
            "broker",
            "can-i-deploy",
            "--pacticipant",
            args.pacticipant,
            "--version",
            args.version,
            "--to-environment",
            args.to_environment,
            "--broker-base-url",
            args.broker_url,
        ]
        if args.dry_run:
            print(" ".join(command))
            return 0
        return subprocess.run(command, check=False).returncode
    from accord.registry import open_registry

    spec = _registry_spec(args.registry)
    with open_registry(spec, must_exist=True) as registry:
        if not registry.index().get("versions"):
            raise UsageError(
                f"registry {spec} is empty: nothing was published to it, so there is nothing "
                "to decide; publish pacts first (accord publish) or check --registry"
            )
        decision = registry.can_i_deploy(args.pacticipant, args.version, args.to_environment)
    print(decision.format())
    return 0 if decision.ok else 1


def _record_deployment(args: argparse.Namespace) -> int:
    from accord.registry import open_registry

    with open_registry(_registry_spec(args.registry)) as registry:
        registry.record_deployment(args.pacticipant, args.version, args.environment)
    print(f"recorded: {args.pacticipant} {args.version} is deployed in {args.environment}")
    return 0
