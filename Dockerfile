# crmkit serve as Acumos users deploy a model: `docker build -t crmkit .` then
#   docker run -p 3330:3330 crmkit                          (the demo's models, baked in)
#   docker run -p 3330:3330 -v $PWD/models:/models crmkit   (your segments.crmk etc.)
# The server listens on 0.0.0.0:3330 inside the container; SIGTERM (docker stop) drains.
FROM debian:12-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        build-essential cmake pkg-config libopenblas-openmp-dev zlib1g-dev libdeflate-dev \
        libmicrohttpd-dev libprotobuf-c-dev libjansson-dev libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY include include
COPY src src
COPY tools tools
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DCRM_BUILD_TESTS=OFF -DCRM_BUILD_BENCH=OFF \
        -DCRM_WITH_SERVER=ON -DCRM_WITH_SQLITE=ON -DCRM_WITH_SVM=OFF -DCRM_WITH_PQ=OFF \
        -DCRM_WITH_MPI=OFF -DCMAKE_INSTALL_PREFIX=/usr/local \
    && cmake --build /build -j"$(nproc)" --target crmkit \
    && install -m 755 /build/crmkit /usr/local/bin/crmkit \
    && install -D -m 755 /build/crmkit-serve /usr/local/libexec/crmkit/crmkit-serve \
    && install -m 644 /build/libcrmkit-waitpolicy.so /usr/local/lib/ && ldconfig \
    && crmkit demo --rows 20000 --quiet --dir /models >/dev/null \
    && rm -f /models/*.csv

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        libopenblas0-openmp libgomp1 zlib1g libdeflate0 libmicrohttpd12 libprotobuf-c1 libjansson4 \
        libsqlite3-0 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /models crmkit
# crmkit runs `serve` (and load, demo) in crmkit-serve, which it finds in ../libexec/crmkit
COPY --from=build /usr/local/bin/crmkit /usr/local/bin/crmkit
COPY --from=build /usr/local/libexec/crmkit/crmkit-serve /usr/local/libexec/crmkit/crmkit-serve
COPY --from=build /usr/local/lib/libcrmkit-waitpolicy.so /usr/local/lib/
RUN ldconfig
COPY --from=build /models /models
USER crmkit
EXPOSE 3330
ENV OMP_WAIT_POLICY=passive
HEALTHCHECK --interval=10s --timeout=2s CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/3330 && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q ' 200 ' <&3"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["crmkit", "serve", "--host", "0.0.0.0", "--port", "3330"]
CMD ["--model", "/models/segments.crmk", "--model", "churn=/models/churn.crmc", \
     "--rules", "/models/rules.crmr"]
