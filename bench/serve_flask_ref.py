#!/usr/bin/env python3
"""The reference for bench/serve_vs_nginx.sh: the same segmentation served as the original
Acumos Python model runner serves it (a Flask app, one worker, the protobuf DataFrame turned
into a pandas DataFrame for the model's predict): StandardScaler + KMeans from scikit-learn,
fitted on the same customers with the same k. Usage: serve_flask_ref.py TRAIN.csv K PORT
PROTO_DIR (PROTO_DIR holds model_pb2.py generated from crmkit's /model/artifacts/protobuf)."""
import sys

import pandas as pd
from flask import Flask, Response, request
from sklearn.cluster import KMeans
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

train, k, port, proto_dir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sys.path.insert(0, proto_dir)
import model_pb2  # noqa: E402

features = [f.name for f in model_pb2.DataFrame.DESCRIPTOR.fields]
df = pd.read_csv(train)[features].dropna()
model = make_pipeline(StandardScaler(), KMeans(n_clusters=k, n_init=1, random_state=0))
model.fit(df.values)

app = Flask(__name__)


@app.route("/model/methods/classify", methods=["POST"])
def classify():
    msg = model_pb2.DataFrame()
    msg.ParseFromString(request.get_data())
    frame = pd.DataFrame({f: list(getattr(msg, f)) for f in features})
    out = model_pb2.Predictions()
    out.predictions.extend(int(v) for v in model.predict(frame.values))
    return Response(out.SerializeToString(), status=200,
                    content_type="application/vnd.google.protobuf")


if __name__ == "__main__":
    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app.run(host="127.0.0.1", port=port, threaded=False)
