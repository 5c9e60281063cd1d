"""The paper's surrogate study (``mfopt benchmark``; docs/study.md).

- :mod:`~mfopt.benchmark.protocol`: one instance's repetitions (designs, fits, scores, verdicts);
- :mod:`~mfopt.benchmark.suites`, :mod:`~mfopt.benchmark.problems`: what to run;
- :mod:`~mfopt.benchmark.task`, :mod:`~mfopt.benchmark.runner`, :mod:`~mfopt.benchmark.results`:
  running it on an executor into a resumable SQLite file;
- :mod:`~mfopt.benchmark.labels`, :mod:`~mfopt.benchmark.analysis`, :mod:`~mfopt.benchmark.projection`,
  :mod:`~mfopt.benchmark.study_plots`: labels, detector scores, the instance space, plots;
- :mod:`~mfopt.benchmark.train`, :mod:`~mfopt.benchmark.linear_model`: the learned detector;
- :mod:`~mfopt.benchmark.gradient_only`: the gradient-only surrogates experiment.
"""
