# Reference comparisons for the match engine's version tests, run once per
# scheme: reads "a<TAB>b" lines, writes -1 / 0 / 1, or E when the reference
# refuses a version. Must run under Debian's /usr/bin/python3 (apt_pkg, rpm,
# packaging are Debian packages). Usage: ref_version.py deb|rpm|pep440
import sys

mode = sys.argv[1]
if mode == "deb":
    import apt_pkg
    apt_pkg.init_system()

    def cmp(a, b):
        return apt_pkg.version_compare(a, b)
elif mode == "rpm":
    import rpm

    def evr(s):
        e, v, r = "0", s, None
        if ":" in v:
            e, v = v.split(":", 1)
        if "-" in v:
            v, r = v.rsplit("-", 1)
        return (e, v, r)

    def cmp(a, b):
        return rpm.labelCompare(evr(a), evr(b))
elif mode == "pep440":
    from packaging.version import Version, InvalidVersion

    def cmp(a, b):
        try:
            va, vb = Version(a), Version(b)
        except InvalidVersion:
            return None
        return (va > vb) - (va < vb)
else:
    sys.exit("unknown mode")

out = []
for line in sys.stdin:
    a, b = line.rstrip("\n").split("\t")
    r = cmp(a, b)
    out.append("E" if r is None else str((r > 0) - (r < 0)))
sys.stdout.write("\n".join(out) + "\n")
