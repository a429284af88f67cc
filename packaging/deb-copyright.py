#!/usr/bin/env python3
"""Writes debian/copyright (DEP-5) for the package build: our own paragraphs from
packaging/debian/copyright, then one Files paragraph per vendored crate, from the
"authors" and "license" fields of its Cargo.toml, then the License paragraphs that
those crates need beyond ours.

Usage: deb-copyright.py TEMPLATE VENDOR_DIR OUTPUT
"""

import os
import re
import sys
import tomllib

# Licenses whose full text Debian ships in /usr/share/common-licenses.
COMMON = {"Apache-2.0", "GPL-2", "GPL-3", "LGPL-2.1", "LGPL-3", "MPL-2.0", "CC0-1.0"}


def paragraphs(text):
    return [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def field(paragraph, name):
    m = re.search(rf"^{name}:[ \t]*(.*)$", paragraph, re.M)
    return m.group(1).strip() if m else None


def dep5_expression(spdx):
    """SPDX ("MIT OR Apache-2.0", "MIT/Apache-2.0", "A WITH B") to DEP-5 syntax."""
    spdx = spdx.replace("/", " OR ")
    words = []
    for word in spdx.split():
        if word in ("OR", "AND"):
            words.append(word.lower())
        elif word == "WITH":
            words.append("with")
        elif word.endswith("-exception") and words and words[-1] == "with":
            words.append(word[: -len("-exception")] + " exception")
        else:
            words.append(word)
    return " ".join(words).replace("(", "").replace(")", "")


def names(expression):
    return [n.strip() for n in re.split(r"\s+(?:and|or)\s+", expression) if n.strip()]


def indent(text):
    lines = []
    for line in text.strip("\n").splitlines():
        line = line.rstrip().replace("\t", "    ")
        lines.append(" " + line if line else " .")
    return "\n".join(lines)


def license_text(name, vendor):
    """The body of a stand-alone License paragraph for `name`."""
    if name in COMMON:
        return (f"On Debian systems, the full text of the {name} license can be found in\n"
                f"/usr/share/common-licenses/{name}.")
    m = re.fullmatch(r"(\S+) with (\S+) exception", name)
    if m and m.group(1) in COMMON:
        base, exc = m.groups()
        for crate in sorted(os.listdir(vendor)):
            d = os.path.join(vendor, crate)
            for f in sorted(os.listdir(d)):
                if exc.lower() in f.lower() and f.upper().startswith(("LICENSE", "COPYING")):
                    text = open(os.path.join(d, f), encoding="utf-8").read()
                    i = text.find(f"--- {exc} Exceptions")
                    if i < 0:
                        i = text.find(f"{exc} Exceptions")
                    if i >= 0:
                        start = text.rfind("\n", 0, i) + 1
                        return (f"On Debian systems, the full text of the {base} license can be\n"
                                f"found in /usr/share/common-licenses/{base}.\n\n"
                                + text[start:])
    sys.exit(f"deb-copyright.py: no license text known for {name!r}: add it to {sys.argv[0]}")


def main():
    template, vendor, output = sys.argv[1:4]
    ours = paragraphs(open(template, encoding="utf-8").read())
    header, rest = ours[0], ours[1:]
    our_files = [p for p in rest if field(p, "Files") is not None]
    our_licenses = [p for p in rest if field(p, "Files") is None]
    defined = {field(p, "License") for p in our_licenses}

    crate_paragraphs = []
    needed = []
    for crate in sorted(os.listdir(vendor)):
        manifest = os.path.join(vendor, crate, "Cargo.toml")
        if not os.path.isfile(manifest):
            continue
        package = tomllib.load(open(manifest, "rb"))["package"]
        spdx = package.get("license")
        if not spdx:
            sys.exit(f"deb-copyright.py: {crate} has no license field (license-file only)")
        expression = dep5_expression(spdx)
        authors = [re.sub(r"\s+", " ", a).strip() for a in package.get("authors", [])]
        holders = authors or [f"the {package['name']} developers"]
        crate_paragraphs.append(
            f"Files: vendor/{crate}/*\n"
            + "Copyright: " + "\n ".join(holders) + "\n"
            + f"License: {expression}\n"
            + f"Comment: crate {package['name']} {package['version']}, license {spdx}")
        for name in names(expression):
            if name not in defined and name not in needed:
                needed.append(name)

    generated = [f"License: {n}\n" + indent(license_text(n, vendor)) for n in sorted(needed)]
    with open(output, "w", encoding="utf-8") as out:
        out.write("\n\n".join([header] + our_files + crate_paragraphs + our_licenses + generated))
        out.write("\n")


if __name__ == "__main__":
    main()
