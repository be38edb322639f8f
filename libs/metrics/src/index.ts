export { collectedCounter } from "./collected-counter";
