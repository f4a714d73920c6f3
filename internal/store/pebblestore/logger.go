package pebblestore

import "go.uber.org/zap"

// zapPebbleLogger routes Pebble's own log lines to the collector's logger.
type zapPebbleLogger struct{ s *zap.SugaredLogger }

func (l zapPebbleLogger) Infof(format string, args ...any)  { l.s.Debugf(format, args...) }
func (l zapPebbleLogger) Errorf(format string, args ...any) { l.s.Errorf(format, args...) }
func (l zapPebbleLogger) Fatalf(format string, args ...any) { l.s.Fatalf(format, args...) }
