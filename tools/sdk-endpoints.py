#!/usr/bin/env python3
"""Lists every HTTP endpoint (method and path) the official OpenAI and Anthropic Python SDKs call.

Reads the SDKs' source (an installed package, or an unpacked wheel given as a directory): each
resource method calls self._get / _post / _delete / _patch / _put / _get_api_list with its path,
a plain string, an f-string or path_template(...). Path parameters become `id_1`; OpenAI's paths
are relative to its base URL's /v1. Prints `sdk<TAB>METHOD<TAB>/path`, sorted, unique — the input
of Tests/LLMCacheServerTests/Fixtures/sdk-endpoints.tsv (what the endpoint-walk test sends).

    python3 tools/sdk-endpoints.py [DIR_WITH_openai_AND_anthropic_PACKAGES]
"""
import os
import re
import sys

CALL = re.compile(
    r"self\._(get|post|delete|patch|put|get_api_list)\(\s*(?:path_template\(\s*)?f?\"([^\"]+)\"", re.S)
METHODS = {"get": "GET", "get_api_list": "GET", "post": "POST", "delete": "DELETE", "patch": "PATCH", "put": "PUT"}


def package_dir(name, root):
    if root:
        return os.path.join(root, name)
    module = __import__(name)
    return os.path.dirname(module.__file__)


def endpoints(sdk, root):
    base = os.path.join(package_dir(sdk, root), "resources")
    found = set()
    for directory, _, files in os.walk(base):
        for file in files:
            if not file.endswith(".py"):
                continue
            with open(os.path.join(directory, file), encoding="utf-8") as handle:
                source = handle.read()
            for method, path in CALL.findall(source):
                path = re.sub(r"\{[^}]*\}", "id_1", path)
                if sdk == "openai":
                    path = "/v1" + path
                found.add((sdk, METHODS[method], path))
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else None
    rows = sorted(endpoints("openai", root) | endpoints("anthropic", root))
    for sdk, method, path in rows:
        print(f"{sdk}\t{method}\t{path}")


if __name__ == "__main__":
    main()
