"""Every benchmark, one module per thing measured. Figures are printed (or `--json`), never asserted: tests
check behaviour, benchmarks speed and accuracy. Current figures are in docs/benchmarks.md (explanations:
docs/explanations.md).

    module        measures                                               command
    index.py      embedding throughput, `similar` latency, FAISS          museum bench [build|similar|predict|
                  search, incremental builds; millions of vectors, Ray      search|incremental|scale]
    style.py      query latency of the style embedding                   museum style bench
    explain.py    explanation speed and fidelity (the deletion test)     museum bench explain
    match.py      the collection's painting in visitors' photos          museum bench match
    load.py       many visitors against a running server, soak, abuse    museum bench load
    cli_timing.py whole commands from a fresh process (start-up)         museum bench cli
    questions.py  visitors' questions against reference answers         museum eval questions
    stylize.py    style transfer: speed, the style kept, the photo kept   museum bench stylize
"""
