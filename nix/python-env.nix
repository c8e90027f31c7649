# The Python that runs MPyC parties: Python 3 with MPyC and its optional
# accelerators gmpy2 and numpy (both from nixpkgs).
#
# MPyC is not packaged in nixpkgs, so it is built here from its PyPI sdist.
# The version must equal the `mpyc==` pin in python/requirements.txt (the pin
# e3's own .e3/venv uses); a test in xtask/tests/nix.rs compares the two.
{ python3 }:

let
  version = "0.11";

  mpyc = python3.pkgs.buildPythonPackage {
    pname = "mpyc";
    inherit version;

    src = python3.pkgs.fetchPypi {
      pname = "mpyc";
      inherit version;
      # sha256 of mpyc-0.11.tar.gz as PyPI serves it (from `pip download
      # --no-deps --no-binary :all: mpyc==0.11`), in SRI form.
      hash = "sha256-fdq1JNAgKiCjDFRZ4ki+cili9HUHdFPCy8ZdxqLu1Jw=";
    };

    # The sdist has a pyproject.toml whose build backend is setuptools.
    pyproject = true;
    build-system = [ python3.pkgs.setuptools ];

    # MPyC needs nothing beyond the standard library; gmpy2 and numpy only
    # speed it up, so they go into the environment below, not in here.
    # Its own unittest suite is not run: it takes minutes natively and far
    # longer when the aarch64 image is built under qemu emulation. Importing
    # it checks the build; e3's tests run real MPyC parties.
    pythonImportsCheck = [ "mpyc" ];
  };
in
{
  inherit mpyc;
  env = python3.withPackages (ps: [
    mpyc
    ps.gmpy2
    ps.numpy
  ]);
}
