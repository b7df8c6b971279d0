# SPDX-License-Identifier: LGPL-2.1-or-later
"""How the package finds libobjlife: OBJLIFE_LIBRARY first (and only, when
set), then pkg-config's libdir, then the system's search path, and an
ImportError that lists every path tried. Each case imports the package in
a fresh interpreter with the environment it describes."""

import os
import subprocess
import sys
import tempfile
import textwrap

import objlife
import support


def run_python(code, **env_changes):
    env = dict(os.environ)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return subprocess.run(
        [sys.executable, "-B", "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        universal_newlines=True,
        timeout=120,
    )


class TestLibrary(support.TestCase):
    def test_objlife_library_is_the_library_loaded(self):
        self.assertEqual(objlife.library_path, os.environ["OBJLIFE_LIBRARY"])

    def test_a_wrong_objlife_library_fails_without_falling_back(self):
        missing = os.path.join(tempfile.gettempdir(), "no-such-dir", "libobjlife.so.0")
        p = run_python("import objlife", OBJLIFE_LIBRARY=missing)

        self.assertNotEqual(p.returncode, 0)
        self.assertIn("ImportError", p.stderr)
        self.assertIn(missing, p.stderr)
        self.assertIn("OBJLIFE_LIBRARY", p.stderr)

    def test_pkg_config_libdir_is_used_without_objlife_library(self):
        libdir = os.path.dirname(os.environ["OBJLIFE_LIBRARY"])
        with tempfile.TemporaryDirectory() as pcdir:
            with open(os.path.join(pcdir, "objlife.pc"), "w") as pc:
                pc.write("libdir=%s\n\nName: objlife\nDescription: test\nVersion: 0.1.0\n"
                         "Libs: -L${libdir} -lobjlife\n" % libdir)
            p = run_python(
                "import objlife; print(objlife.library_path)",
                OBJLIFE_LIBRARY=None, PKG_CONFIG_PATH=pcdir, PKG_CONFIG_LIBDIR=pcdir,
                LD_LIBRARY_PATH=None,
            )
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.strip(), os.path.join(libdir, "libobjlife.so.0"))

    def test_the_error_lists_every_path_tried(self):
        with tempfile.TemporaryDirectory() as pcdir:
            with open(os.path.join(pcdir, "objlife.pc"), "w") as pc:
                pc.write("libdir=%s/lib\n\nName: objlife\nDescription: test\nVersion: 0.1.0\n"
                         "Libs: -L${libdir} -lobjlife\n" % pcdir)
            # A copy installed on the system must not answer: the system's
            # search path is made to fail as it does where there is none.
            p = run_python(
                "import ctypes\n"
                "real_cdll = ctypes.CDLL\n"
                "def cdll(name, *args, **kwargs):\n"
                "    if name and '/' not in name:\n"
                "        raise OSError(name + ': cannot open shared object file (hidden by the test)')\n"
                "    return real_cdll(name, *args, **kwargs)\n"
                "ctypes.CDLL = cdll\n"
                "import objlife; print(objlife.library_path)",
                OBJLIFE_LIBRARY=None, PKG_CONFIG_PATH=pcdir, PKG_CONFIG_LIBDIR=pcdir,
                LD_LIBRARY_PATH=None,
            )
        self.assertNotEqual(p.returncode, 0, p.stdout)
        self.assertIn("ImportError", p.stderr)
        self.assertIn(os.path.join(pcdir, "lib", "libobjlife.so.0"), p.stderr)
        self.assertIn("system search path", p.stderr)
