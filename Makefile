# Interchange: every target installs what is missing first, so a fresh machine needs only `make`.
SWIFT ?= swift
APT_PACKAGES := libopenblas-dev liblapacke-dev pkg-config
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# On an x86-64 processor with AVX2 and FMA (Intel Haswell, AMD Zen and later), compile for them:
# the elementwise kernels (GELU, softmax, layer norm, Adam) then run 8 lanes wide instead of the
# 4 of the baseline SSE2 target. Matrix products are OpenBLAS's either way. `swift build` without
# these flags also works, only slower; every target here uses the same flags, so nothing rebuilds
# between them.
SWIFT_FLAGS := $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo && echo "-Xswiftc -target-cpu -Xswiftc haswell")

.PHONY: deps build run test bench

## deps: install OpenBLAS, LAPACKE and pkg-config with apt-get when any is missing
deps:
	@missing=""; \
	for package in $(APT_PACKAGES); do \
		dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "Installing:$$missing"; \
		$(SUDO) apt-get update && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi

## build: release build of the library and the executables
build: deps
	$(SWIFT) build -c release $(SWIFT_FLAGS)

## run: release build, then das-search on its built-in default experiment (hierarchical equality)
run: deps
	$(SWIFT) build -c release --product das-search $(SWIFT_FLAGS)
	.build/release/das-search

## test: the whole test suite
test: deps
	$(SWIFT) test $(SWIFT_FLAGS)

## bench: speed measurements (release build), Interchange beside pyvene (its virtualenv is installed first)
bench: deps
	bash bench/reference/setup.sh
	$(SWIFT) build -c release --product bench $(SWIFT_FLAGS)
	.build/release/bench matmul
	.build/release/bench retract
	# One thread on both sides: at these 2- and 16-wide shapes a second thread slows Interchange and pyvene alike.
	.build/release/bench das --threads 1
	.build/release/bench transformer --threads 2 && .build/release/bench transformer --threads 1
	# Byte-level BPE encoding of the 1 MB multilingual corpus, beside Hugging Face tokenizers, one thread each.
	.build/release/bench tokenizer
	# LoReFT training step and adapted greedy decoding on GPT-2 small, beside pyreft 0.1.0, two threads each.
	.build/release/bench reft --threads 2
	# One boundless-DAS training step on GPT-2 small (batch 16 x 64, layer 6, last position), beside pyvene 0.1.8, two threads each.
	.build/release/bench das-transformer --threads 2
