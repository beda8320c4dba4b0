# Sourced by the build scripts: the flags every `swift build` and `swift test`
# of Herd's gets, in the array `herd_swift_flags`.
#
# The tensor kernels are compiled for the building machine's CPU: Herd is
# built from source where it runs, and AVX2/AVX-512 make the elementwise
# kernels 2-4x faster than the x86-64 baseline. Swift takes its code
# generation target from the Clang importer, hence -Xcc. HERD_MARCH picks
# another -march value (e.g. x86-64-v3, for a binary copied to other
# machines), or `portable` for the toolchain's default target. The flag is
# passed here, not in Package.swift: SwiftPM refuses a package with unsafe
# flags as a versioned dependency (docs/deploying.md).
herd_swift_flags=()
if [ "$(uname -m)" = x86_64 ] && [ "${HERD_MARCH:-native}" != portable ]; then
    herd_swift_flags=(-Xcc "-march=${HERD_MARCH:-native}")
fi
