// Cold-start probe: import MQTT.js and touch its main export.
import mqtt from "mqtt";
if (typeof mqtt.connect !== "function") throw new Error("mqtt.connect missing");
