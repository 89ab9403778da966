package plugins

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/hashicorp/go-plugin"
)

// ProtocolVersion is the version of the driver protocol this build
// speaks. It changes when a change to plugins/proto breaks compatibility;
// a host refuses a plugin of another version, and the plugin refuses to be
// configured by a host of another version.
const ProtocolVersion = 1

// The magic cookie only tells a plugin binary that it was started by
// gisiaas and not by hand; it is no security measure (AutoMTLS is).
const (
	magicCookieKey   = "GISIAAS_DRIVER_PLUGIN"
	magicCookieValue = "7f0b3c1e-gisiaas-driver"
)

// pluginKey names the one plugin a driver binary serves.
const pluginKey = "driver"

// protocolVersionOverride, when set with
// -ldflags "-X github.com/gisiaas/gisiaas/plugins.protocolVersionOverride=N",
// makes a plugin binary claim protocol version N. It exists only so that
// tests can build an incompatible plugin; production builds leave it empty.
var protocolVersionOverride string

// servedProtocolVersion is the version Serve announces.
func servedProtocolVersion() uint {
	if protocolVersionOverride != "" {
		if v, err := strconv.ParseUint(protocolVersionOverride, 10, 32); err == nil {
			return uint(v)
		}
	}
	return ProtocolVersion
}

func handshake(version uint) plugin.HandshakeConfig {
	return plugin.HandshakeConfig{
		ProtocolVersion:  version,
		MagicCookieKey:   magicCookieKey,
		MagicCookieValue: magicCookieValue,
	}
}

// VersionError is the refusal of a plugin that speaks another protocol
// version than the host.
type VersionError struct {
	Plugin        string // the driver's name
	Path          string // the binary, when launched from one
	PluginVersion int
	HostVersion   int
}

func (e *VersionError) Error() string {
	where := ""
	if e.Path != "" {
		where = " (" + e.Path + ")"
	}
	return fmt.Sprintf("plugin %q%s speaks driver protocol version %d but this gisiaas speaks version %d: "+
		"use a build of the plugin for protocol %d", e.Plugin, where, e.PluginVersion, e.HostVersion, e.HostVersion)
}

// goPluginVersionRE reads the plugin's version out of go-plugin's refusal,
// "incompatible API version with plugin. Plugin version: 2, Client versions: [1]",
// which carries no structured form.
var goPluginVersionRE = regexp.MustCompile(`(?i)incompatible API version with plugin\. Plugin version: (\d+)`)

// asVersionError recognises go-plugin's version refusal.
func asVersionError(err error, name, path string) (*VersionError, bool) {
	m := goPluginVersionRE.FindStringSubmatch(err.Error())
	if m == nil {
		return nil, false
	}
	v, _ := strconv.Atoi(m[1])
	return &VersionError{Plugin: name, Path: path, PluginVersion: v, HostVersion: ProtocolVersion}, true
}
