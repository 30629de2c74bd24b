"""The README and docs/ as a newcomer follows them: commands that exist, one alice, stated limits."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
DOCS = {path.name: path.read_text() for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]}


def test_no_bare_python_command():
    # Debian and Ubuntu have no `python` unless python-is-python3 is installed.
    bare = {name: re.findall(r"(?<![\w./-])python (?:-[mc]|manage\.py)", text) for name, text in DOCS.items()}
    assert bare == {name: [] for name in DOCS}


def test_tools_the_readme_assumes_are_named():
    assert "python3.11-venv" in README
    assert "make" in README.split("## Architecture")[0].split("make test")[1]


def test_production_example_creates_its_database_before_using_it():
    example = README[README.index("The same commands run the production configuration"):]
    assert example.index("createdb ") < example.index("export DATABASE_URL=postgres://")


def test_alice_registers_with_the_same_password_everywhere():
    passwords = {
        (name, password)
        for name, text in DOCS.items()
        for password in re.findall(r'"username": ?"alice(?:@example\.com)?",.*?"password": ?"([^"]+)"', text)
    }
    assert {password for _, password in passwords} == {"correct-Horse-battery-9"}
    assert {name for name, _ in passwords} >= {"README.md", "auth.md"}


def test_embedded_default_limits_are_stated_next_to_the_details():
    details = README[README.index("Details add `tagline"):README.index("**Where answers come from.**")]
    assert "On the embedded default (no TMDb credentials)" in details
    for missing in ("overview", "cast", "trailer", "poster_url"):
        assert missing in details.split("On the embedded default")[1]
