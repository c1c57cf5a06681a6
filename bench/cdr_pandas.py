#!/usr/bin/python3
"""The reference for `crmkit cdr`: the same per-customer features with pandas (read_csv,
groupby), as a data team would write them. Prints the seconds taken and, with --compare, the
largest relative difference from crmkit's features file.

usage: cdr_pandas.py CDR.csv [--compare FEATURES.csv]
"""
import sys
import time

import numpy as np
import pandas as pd


def features(path):
    t0 = time.perf_counter()
    df = pd.read_csv(path, dtype={"caller": str, "callee": str, "network": str, "type": str,
                                  "duration": np.int64, "bytes": np.int64, "charge": np.float64},
                     keep_default_na=False)
    ts = pd.to_datetime(df["start_time"], format="%Y-%m-%d %H:%M:%S")
    hour = ts.dt.hour
    df["night"] = ((hour >= 22) | (hour < 6)).astype(np.int64)
    df["weekend"] = (ts.dt.dayofweek >= 5).astype(np.int64)
    voice = df["type"] == "voice"
    on = df["network"] == "onnet"
    df["calls_onnet"] = (voice & on).astype(np.int64)
    df["calls_offnet"] = (voice & ~on).astype(np.int64)
    df["sec_onnet"] = np.where(voice & on, df["duration"], 0)
    df["sec_offnet"] = np.where(voice & ~on, df["duration"], 0)
    df["sms_count"] = (df["type"] == "sms").astype(np.int64)
    df["data_sessions"] = (df["type"] == "data").astype(np.int64)
    df["data_bytes"] = np.where(df["type"] == "data", df["bytes"], 0)
    for t in ("voice", "sms", "data"):
        df["charge_" + t] = np.where(df["type"] == t, df["charge"], 0.0)
    g = df.groupby("caller", sort=True)
    s = g[["calls_onnet", "calls_offnet", "sec_onnet", "sec_offnet", "sms_count",
           "data_sessions", "data_bytes", "night", "weekend", "charge_voice", "charge_sms",
           "charge_data"]].sum()
    s["events"] = g.size()
    parties = df[voice].groupby("caller")["callee"].nunique()
    out = pd.DataFrame(index=s.index)
    out["calls_onnet"] = s["calls_onnet"]
    out["calls_offnet"] = s["calls_offnet"]
    out["minutes_onnet"] = s["sec_onnet"] / 60
    out["minutes_offnet"] = s["sec_offnet"] / 60
    out["called_parties"] = parties.reindex(s.index, fill_value=0)
    calls = s["calls_onnet"] + s["calls_offnet"]
    out["avg_call_s"] = ((s["sec_onnet"] + s["sec_offnet"]) / calls.where(calls > 0)).fillna(0)
    out["night_share"] = s["night"] / s["events"]
    out["weekend_share"] = s["weekend"] / s["events"]
    out["sms_count"] = s["sms_count"]
    out["data_sessions"] = s["data_sessions"]
    out["data_mb"] = s["data_bytes"] / 1048576
    total = s["charge_voice"] + s["charge_sms"] + s["charge_data"]
    out["charge_total"] = total
    for t in ("voice", "sms", "data"):
        out["charge_" + t] = s["charge_" + t]
    for t in ("voice", "sms", "data"):
        out["charge_%s_share" % t] = (s["charge_" + t] / total.where(total > 0)).fillna(0)
    return out, time.perf_counter() - t0


def main():
    out, seconds = features(sys.argv[1])
    print("pandas_seconds %.3f customers %d" % (seconds, len(out)))
    if len(sys.argv) > 3 and sys.argv[2] == "--compare":
        ours = pd.read_csv(sys.argv[3], dtype={"subscriber_id": str}).set_index("subscriber_id")
        ours = ours[out.columns]
        if list(ours.index) != list(out.index):
            print("compare: different customers")
            sys.exit(1)
        a = ours.to_numpy(dtype=np.float64)
        b = out.to_numpy(dtype=np.float64)
        rel = np.abs(a - b) / (np.abs(b) + 1e-9)
        print("compare: max relative difference %.3g over %d values" % (rel.max(), rel.size))
        sys.exit(0 if rel.max() < 1e-6 else 1)


if __name__ == "__main__":
    main()
