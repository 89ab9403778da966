#!/usr/bin/env bash
# Regenerates plugins/proto/driverpb from plugins/proto/gisiaas/driver/v1/*.proto
# with pinned tools, so the committed code changes only when the .proto or a
# pin changes. Needs only Go: buf runs through `go run`, and protoc-gen-go and
# protoc-gen-go-grpc are installed into ./bin. Called by `make proto`.
set -euo pipefail

BUF_VERSION=v1.75.0
PROTOC_GEN_GO_VERSION=v1.36.12       # keep equal to google.golang.org/protobuf in go.mod
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$root/bin:/usr/local/go/bin:$PATH"
GO="${GO:-go}"

# Install a generator unless ./bin already has the pinned version.
install_plugin() { # name module version
	local name="$1" module="$2" version="$3" have=""
	if [[ -x "bin/$name" ]]; then
		have="$("bin/$name" --version 2>/dev/null | awk '{print $NF}')"
	fi
	if [[ "$have" != "$version" && "$have" != "${version#v}" ]]; then
		echo "installing $name $version into ./bin" >&2
		GOBIN="$root/bin" "$GO" install "$module@$version"
	fi
}
install_plugin protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go "$PROTOC_GEN_GO_VERSION"
install_plugin protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_VERSION"

cd plugins/proto
# Generated files that no longer have a .proto must not linger.
rm -f driverpb/*.pb.go
"$GO" run "github.com/bufbuild/buf/cmd/buf@$BUF_VERSION" lint
"$GO" run "github.com/bufbuild/buf/cmd/buf@$BUF_VERSION" generate
gofmt -l driverpb >/dev/null
echo "generated: $(ls driverpb/*.go | tr '\n' ' ')" >&2
