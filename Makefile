# Interchange: every target installs what is missing first, so a fresh machine needs only `make`.
SWIFT ?= swift
APT_PACKAGES := libopenblas-dev liblapacke-dev pkg-config
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build test bench

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
	$(SWIFT) build -c release

## test: the whole test suite
test: deps
	$(SWIFT) test

## bench: speed measurements (release build)
bench: deps
	$(SWIFT) run -c release bench matmul
	$(SWIFT) run -c release bench retract
