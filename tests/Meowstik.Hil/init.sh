#!/bin/busybox sh
# /init of the HIL VM (tests/Meowstik.Hil/run.sh builds the initramfs): loads the modules, creates the virtual devices,
# runs /test (the NativeAOT checks), reports on the serial console and powers off. Kernel command-line parameters
# like HIL_BREAK=can-filter reach this script, and /test, as environment variables.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin
export LD_LIBRARY_PATH=/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu
mkdir -p /proc /sys /dev /run /tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "init: uptime $(cut -d' ' -f1 /proc/uptime)s, loading modules"
while read -r m args; do
  insmod "/lib/modules/$m" $args || echo "init: insmod $m FAILED"
done < /modorder
mountpoint -q /sys/kernel/config || mount -t configfs configfs /sys/kernel/config

# CAN: a virtual bus
ip link add dev vcan0 type vcan && ip link set up vcan0 || echo "init: vcan0 setup FAILED"

# GPIO: one gpio-sim chip with one bank of 8 lines; /test finds it through /run/gpiosim_{chip,dev}
G=/sys/kernel/config/gpio-sim/hil
if mkdir $G && mkdir $G/bank0 && echo 8 > $G/bank0/num_lines && echo hil-bank0 > $G/bank0/label && echo 1 > $G/live; then
  cat $G/bank0/chip_name > /run/gpiosim_chip; cat $G/dev_name > /run/gpiosim_dev
  echo "init: gpio-sim $(cat /run/gpiosim_dev) $(cat /run/gpiosim_chip)"
else
  echo "init: gpio-sim setup FAILED"
fi
ls /dev/gpiochip* /dev/video* /dev/i2c-* 2>&1 | tr '\n' ' '; echo

echo "init: uptime $(cut -d' ' -f1 /proc/uptime)s, running /test"
cd /tmp
# HIL_REPEAT=N runs the checks N times in one boot (to shake out flaky checks); run.sh expects N summaries.
for i in $(seq "${HIL_REPEAT:-1}"); do
  timeout "${HIL_TEST_TIMEOUT:-600}" /test
  echo "HIL EXIT $? (run $i, uptime $(cut -d' ' -f1 /proc/uptime)s)"
done
dmesg | grep -iE 'BUG|Oops|WARNING|taint' | head -10
poweroff -f
