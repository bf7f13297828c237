"""Seeing the scheduler: recorder, summaries, timelines, trace export, run info and lints, and
the blocking detector (monitor).

Nothing here imports IPython; matplotlib is imported only by the functions that draw.
"""
