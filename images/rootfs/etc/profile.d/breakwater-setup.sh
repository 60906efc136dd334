# On the console, until the appliance has been set up, root's login goes straight into breakwater-setup.
if [ "$(id -u)" = 0 ] && [ ! -e /etc/breakwater/console-setup-done ] && [ -z "${SSH_CONNECTION:-}" ]; then
  case "$(tty 2>/dev/null)" in
    /dev/tty1|/dev/ttyS0|/dev/hvc0) /usr/sbin/breakwater-setup ;;
  esac
fi
