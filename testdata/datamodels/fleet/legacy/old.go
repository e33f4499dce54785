package legacy

listed in ignoredDirs, so this broken file is never read {
