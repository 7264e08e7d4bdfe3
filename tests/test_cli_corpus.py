"""`assistant index`, `list` and `remove` as commands: remembered folders, removal and its messages.

The index is built by the fake embedder and labelled for the commands (see `label_for_cli`): these runs only
remove and list, so they never load a model.
"""

import subprocess

from assistant.corpus import doc_id_for
from assistant.indexing import index_paths

from fakes import SAMPLE_ARTICLES, label_for_cli, make_pipeline, write_articles
from support import ASSISTANT


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([ASSISTANT, *args], env=env, capture_output=True, text=True, timeout=300)


def listed(env: dict) -> set[str]:
    return {line.split("\t")[0] for line in run(env, "list").stdout.splitlines()}


def test_a_bare_index_refreshes_the_remembered_folders_and_remove_takes_articles_out(tmp_path):
    news, sport = tmp_path / "news", tmp_path / "sport"
    write_articles(news, SAMPLE_ARTICLES)
    write_articles(sport, {"match.txt": "The home team won the final 2-1 on Sunday."})
    pipeline = make_pipeline(tmp_path)
    index_paths(pipeline, [news])
    index_paths(pipeline, [sport])
    env = {**label_for_cli(tmp_path), "ASSISTANT_CORPUS_DIR": str(tmp_path / "elsewhere")}
    alpha, beta, match = doc_id_for(news / "alpha.txt"), doc_id_for(news / "beta.txt"), doc_id_for(sport / "match.txt")
    assert listed(env) == {alpha, beta, match}

    (news / "alpha.txt").unlink()
    refreshed = run(env, "index")  # both remembered folders, not the corpus folder
    assert refreshed.returncode == 0, refreshed.stderr
    assert "0 added, 0 updated, 1 removed, 2 unchanged" in refreshed.stdout
    assert listed(env) == {beta, match}

    removed = run(env, "remove", match)
    assert removed.returncode == 0, removed.stderr
    head, back = removed.stdout.splitlines()
    assert head == "Removed 1 article(s). Index holds 1 articles in 1 chunks."
    assert str(sport / "match.txt") in back and "next bare `assistant index` adds them back" in back
    assert listed(env) == {beta}

    unknown = run(env, "remove", "no-such-article")
    assert unknown.returncode == 1 and unknown.stderr.count("\n") == 1
    assert "no article 'no-such-article'" in unknown.stderr and "`assistant list`" in unknown.stderr
    assert listed(env) == {beta}


def test_with_no_remembered_folder_a_bare_index_reads_the_corpus_folder(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()  # empty: nothing to embed
    env = {**label_for_cli(tmp_path), "ASSISTANT_CORPUS_DIR": str(corpus)}  # an index never given a folder
    result = run(env, "index")
    assert result.returncode == 0 and result.stdout.startswith("Nothing changed: 0 articles")
    assert str(corpus.resolve()) in (tmp_path / "index" / "sources.json").read_text()
    assert run(env, "list").stdout == "The index holds no articles: `assistant index` adds them.\n"
