// Cold-start probe: import the client and touch its main export.
import { MQTTClient } from "../../mod.ts";
if (typeof MQTTClient !== "function") throw new Error("MQTTClient missing");
