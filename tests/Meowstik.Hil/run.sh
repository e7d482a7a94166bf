#!/usr/bin/env bash
# Hardware-in-the-loop step (docs/hil.md): boots the distribution's own kernel under QEMU with real virtual drivers
# (vcan, gpio-sim, vivid, i2c-xfer-stub) and runs the NativeAOT checks of tests/Meowstik.Hil in it, which drive the
# plugins' own code. Prints "N passed, N failed"; exits non-zero on any failure or when the VM never reported.
#
#   tests/Meowstik.Hil/run.sh                      # as root (apt installs what is missing), Debian 12 x86-64
#   W=/tmp/hil ACCEL=kvm tests/Meowstik.Hil/run.sh # another work folder; KVM where it can boot a stock kernel
#   HIL_BREAK=can-filter tests/Meowstik.Hil/run.sh # inject a fault (can-filter, gpio-line, i2c-addr): the step must fail
#   HIL_ONLY=can,gpio tests/Meowstik.Hil/run.sh    # only some suites (can, gpio, camera, iot)
#   HIL_REPEAT=20 HIL_TIMEOUT=1200 tests/Meowstik.Hil/run.sh  # the checks 20 times in one boot (flakiness)
#
# Everything that can be reused is cached in the work folder W (default artifacts/hil): the kernel, the built modules,
# the gpio-sim sources, the published test program. A second run only re-publishes (incremental) and boots.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
W=${W:-$ROOT/artifacts/hil}
mkdir -p "$W" && W=$(cd "$W" && pwd)
ACCEL=${ACCEL:-tcg}
SECONDS=0
step() { echo "== hil [${SECONDS}s] $*"; }
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

# ---- host packages: QEMU, busybox, module build tools, can-utils for the VM, clang for NativeAOT
PKGS="qemu-system-x86 busybox-static cpio kmod gcc make xz-utils can-utils libgpiod2 clang zlib1g-dev"
updated=0
apt_update() { [ $updated -eq 1 ] || { $SUDO apt-get update -qq; updated=1; }; }
missing() { for p in "$@"; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || echo "$p"; done; }
need=$(missing $PKGS)
if [ -n "$need" ]; then
  step "apt: installing $(echo $need)"
  apt_update
  $SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

# ---- the checks, published with NativeAOT while the kernel and modules are prepared (CPU-bound vs mostly download/xz)
rm -f "$W/publish.rc"
( dotnet publish "$HERE/Meowstik.Hil.csproj" -c Release -r linux-x64 -o "$W/app" -nologo -v q > "$W/publish.log" 2>&1
  echo $? > "$W/publish.rc" ) &
PUBLISH=$!
trap 'if [ -n "$PUBLISH" ]; then pkill -P "$PUBLISH" 2>/dev/null; kill "$PUBLISH" 2>/dev/null; fi' EXIT   # a failed step stops the publish

# ---- the kernel: the ABI linux-image-amd64 depends on today (not pinned), its headers for the out-of-tree modules
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}' || true)
if [ -z "$KPKG" ]; then apt_update; KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}'); fi
KV=${KPKG#linux-image-}                                   # e.g. 6.1.0-57-amd64
KSERIES=$(echo "$KV" | cut -d. -f1,2)                     # e.g. 6.1
step "kernel $KV"
if [ -n "$(missing "linux-headers-$KV")" ]; then
  step "apt: installing linux-headers-$KV"
  apt_update
  $SUDO apt-get install -y -qq --no-install-recommends "linux-headers-$KV" >/dev/null
fi
K=$W/kernel/$KV                                           # the unpacked image: boot/vmlinuz-$KV, lib/modules/$KV
if [ ! -f "$K/.done" ]; then
  step "downloading $KPKG"
  rm -rf "$K" "$W/debs" && mkdir -p "$K" "$W/debs"
  (cd "$W/debs" && apt-get download "$KPKG" >/dev/null 2>&1 || { apt_update; apt-get download "$KPKG" >/dev/null; })
  dpkg-deb -x "$W"/debs/"${KPKG}"_*.deb "$K"
  rm -rf "$W/debs"
  touch "$K/.done"
fi
KD=$K/lib/modules/$KV

# ---- gpio-sim (CONFIG_GPIO_SIM is off in Debian): built out of tree from linux-source-$KSERIES with irq_sim.c
# (CONFIG_IRQ_SIM is off too). The three source files are cached; the 140 MB source package is not kept.
GS=$W/gpio-sim/$KSERIES
if [ ! -f "$GS/.sources" ]; then
  step "extracting gpio-sim sources from linux-source-$KSERIES"
  rm -rf "$GS" && mkdir -p "$GS/deb"
  (cd "$GS/deb" && { apt-get download "linux-source-$KSERIES" >/dev/null 2>&1 || { apt_update; apt-get download "linux-source-$KSERIES" >/dev/null; }; })
  dpkg-deb --fsys-tarfile "$GS"/deb/linux-source-*.deb | tar -x -C "$GS/deb" --wildcards './usr/src/linux-source-*.tar.xz'
  TARBALL=$(ls "$GS"/deb/usr/src/linux-source-*.tar.xz); TOP=$(basename "$TARBALL" .tar.xz)
  tar -xJf "$TARBALL" -C "$GS" --strip-components=1 \
    "$TOP/drivers/gpio/gpio-sim.c" "$TOP/drivers/gpio/gpiolib.h" "$TOP/kernel/irq/irq_sim.c"
  mv "$GS/drivers/gpio/gpio-sim.c" "$GS/gpio-sim-main.c"; mv "$GS/drivers/gpio/gpiolib.h" "$GS/"; mv "$GS/kernel/irq/irq_sim.c" "$GS/"
  rm -rf "$GS/deb" "$GS/drivers" "$GS/kernel"
  sed -i 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' "$GS/irq_sim.c"   # irq_to_desc is not exported
  printf 'obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o irq_sim.o\n' > "$GS/Kbuild"
  touch "$GS/.sources"
fi
MB=$W/modules/$KV                                        # module builds, per kernel ABI
mkdir -p "$MB/gpio-sim" "$MB/xs"
cp -u "$GS"/*.c "$GS"/*.h "$GS/Kbuild" "$MB/gpio-sim/"
cmp -s "$HERE/i2c-xfer-stub.c" "$MB/xs/i2c-xfer-stub.c" || cp "$HERE/i2c-xfer-stub.c" "$MB/xs/"
echo 'obj-m := i2c-xfer-stub.o' > "$MB/xs/Kbuild.new"; cmp -s "$MB/xs/Kbuild.new" "$MB/xs/Kbuild" || mv "$MB/xs/Kbuild.new" "$MB/xs/Kbuild"; rm -f "$MB/xs/Kbuild.new"
step "building modules gpio-sim, i2c-xfer-stub"
for m in gpio-sim xs; do
  make -s -C "/lib/modules/$KV/build" M="$MB/$m" modules 2>&1 | grep -v 'Skipping BTF' || true
done
mkdir -p "$KD/extra"
cp "$MB/gpio-sim/gpio-sim.ko" "$MB/xs/i2c-xfer-stub.ko" "$KD/extra/"
depmod -b "$K" "$KV"

# ---- the checks, published with NativeAOT (no .NET runtime in the VM); waited for before the initramfs
step "waiting for the NativeAOT publish ($W/publish.log)"
wait "$PUBLISH" || true
PUBLISH=""
rc=$(cat "$W/publish.rc" 2>/dev/null || echo 1)
grep -vE "warning (NU1603|IL2104|IL3053)" "$W/publish.log" || true
[ "$rc" -eq 0 ] && [ -x "$W/app/Meowstik.Hil" ] || { echo "hil: the NativeAOT publish failed (exit $rc, $W/publish.log)"; exit 1; }
step "published"

# ---- the initramfs: busybox, /init, the modules in dependency order, /test and the libraries ldd names, can-utils
step "building the initramfs"
R=$W/root; rm -rf "$R"; mkdir -p "$R"/{bin,sbin,usr/bin,lib/modules,proc,sys,dev,run,tmp}
cp "$(command -v busybox || echo /bin/busybox)" "$R/bin/busybox"
cp "$HERE/init.sh" "$R/init"; chmod +x "$R/init"
cp "$W/app/Meowstik.Hil" "$R/test"
cp "$(command -v cansend)" "$(command -v candump)" "$R/usr/bin/"
: > "$R/modorder"
for m in configfs vcan can-raw gpio-sim vivid i2c-xfer-stub i2c-dev; do
  modprobe -d "$K" -S "$KV" --show-depends "$m"
done | awk '$1=="insmod" && !seen[$2]++ {print $2}' | while read -r ko; do
  rel=${ko#"$KD"/}; mkdir -p "$R/lib/modules/$(dirname "$rel")"; cp "$ko" "$R/lib/modules/$rel"
  case ${rel##*/} in vivid.ko) args="n_devs=1 node_types=0x1";; *) args="";; esac
  echo "$rel $args" >> "$R/modorder"
done
copy_libs() { for lib in $(ldd "$@" | grep -oE '/[^ ]+\.so[^ ]*' | sort -u); do mkdir -p "$R$(dirname "$lib")"; cp -L "$lib" "$R$lib"; done; }
copy_libs "$R/test" "$R/usr/bin/cansend" "$R/usr/bin/candump"
# System.Device.Gpio's LibGpiodDriver loads libgpiod (v1, libgpiod.so.2) at run time: ldd cannot see it.
GPIOD=$(ldconfig -p | awk '/libgpiod\.so\.2 .*x86-64/{print $NF; exit}')
mkdir -p "$R$(dirname "$GPIOD")"; cp -L "$GPIOD" "$R$GPIOD"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$W/initrd.cpio.gz"
echo "  modules: $(wc -l < "$R/modorder"), initramfs $(du -h "$W/initrd.cpio.gz" | cut -f1)"

# ---- boot: results come back on the serial console (poweroff -f loses the exit code)
APPEND="console=ttyS0 quiet panic=-1"
[ -z "${HIL_BREAK:-}" ] || APPEND="$APPEND HIL_BREAK=$HIL_BREAK"
[ -z "${HIL_ONLY:-}" ] || APPEND="$APPEND HIL_ONLY=$HIL_ONLY"
REPEAT=${HIL_REPEAT:-1}
[ "$REPEAT" -eq 1 ] || APPEND="$APPEND HIL_REPEAT=$REPEAT"
step "booting $KV under qemu ($ACCEL)"
LOG=$W/console.log
set +e
timeout "${HIL_TIMEOUT:-300}" qemu-system-x86_64 -accel "$ACCEL" -m 1024 -smp 2 -nographic -no-reboot \
  -kernel "$K/boot/vmlinuz-$KV" -initrd "$W/initrd.cpio.gz" -append "$APPEND" </dev/null 2>&1 | tr -d '\r' | tee "$LOG"
qemu_status=${PIPESTATUS[0]}
set -e
passed=$(grep -c '^HIL PASS ' "$LOG" || true)
failed=$(grep -c '^HIL FAIL ' "$LOG" || true)
step "done (qemu exit $qemu_status)"
summaries=$(grep -c '^HIL SUMMARY ' "$LOG" || true)
if [ "$summaries" -lt "$REPEAT" ]; then
  echo "hil: the VM reported $summaries of $REPEAT summaries: the checks crashed or hung, or the VM never booted (qemu exit $qemu_status; see $LOG)"
  echo "$passed passed, $((failed + 1)) failed"
  exit 1
fi
grep '^HIL FAIL ' "$LOG" || true
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
