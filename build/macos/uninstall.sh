#!/bin/sh
# Removes Outpost VPN from a Mac (run as root: sudo sh uninstall.sh). IT's profiles and policy stay unless --purge.
set -e
PLIST=/Library/LaunchDaemons/com.outpost.helper.plist
launchctl bootout system "$PLIST" 2>/dev/null || true
rm -f "$PLIST"
rm -rf "/Applications/Outpost VPN.app" /Library/Logs/Outpost
pkgutil --forget org.outpostvpn.desktop 2>/dev/null || true
if [ "$1" = "--purge" ]; then
  rm -rf "/Library/Application Support/Outpost"
fi
echo "Outpost VPN removed. Each user's settings stay in ~/Library/Application Support/Outpost VPN."
