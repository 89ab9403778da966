// Package driverpb is the generated Go code of the driver protocol
// (plugins/proto/gisiaas/driver/v1/*.proto). Regenerate it with `make proto`;
// do not edit the *.pb.go files. Hosts and plugins do not use it directly:
// the plugins package converts core types to and from these messages.
package driverpb
